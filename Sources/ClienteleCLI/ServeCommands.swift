import ArgumentParser
import ClienteleCore
import ClienteleKit
import ClienteleService
import Dispatch
import Foundation
import Logging

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the store over HTTP (docs/service.md): decisions, lists and the customer operations.",
        discussion: """
            Requests carry 'Authorization: Bearer KEY' ('clientele key create' makes keys). The service reads \
            what the command line and other writers commit while it runs, and stops on SIGTERM or SIGINT after \
            the requests in flight are answered. The contract is openapi.yaml, served at /openapi.yaml.
            """)

    @OptionGroup var config: ConfigOptions
    @Option(
        help: ArgumentHelp(
            "Where to listen: HOST:PORT (port 0 takes a free one; the service prints where it listens).",
            valueName: "host:port"))
    var bind = "127.0.0.1:8080"
    @Option(help: "The largest request body taken, in bytes.") var maxBody = 4 << 20
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "info"

    func validate() throws {
        guard parseBind() != nil else {
            throw ValidationError("--bind is HOST:PORT (127.0.0.1:8080, [::1]:8080, 0.0.0.0:80), not '\(bind)'")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level is trace, debug, info, notice, warning, error or critical")
        }
        guard maxBody >= 1_024 else { throw ValidationError("--max-body is at least 1024 bytes") }
    }

    func parseBind() -> (host: String, port: Int)? {
        guard let colon = bind.lastIndex(of: ":"), let port = Int(bind[bind.index(after: colon)...]),
            (0...65_535).contains(port)
        else { return nil }
        var host = String(bind[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    func run() throws {
        let directory = try config.directory()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "clientele.serve")
        var options = ClienteleServer.Options()
        (options.host, options.port) = parseBind()!
        options.maxBody = maxBody
        let server = try ClienteleServer(directory: directory, options: options, logger: logger)
        let started = server.summary
        let done = DispatchSemaphore(value: 0)
        let failure = Failure.Box()
        Task {
            do {
                try await server.run { address in
                    Terminal.out("clientele serve: \(address) (\(started))\n")
                }
            } catch { failure.set(error) }
            done.signal()
        }
        done.wait()
        if let error = failure.get() {
            Terminal.error("the service stopped: \(error)")
            throw ExitCode(1)
        }
    }
}

extension Failure {
    /// An error handed from the service's task to the command's thread.
    final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var error: (any Error)?
        func set(_ error: any Error) { lock.withLock { self.error = error } }
        func get() -> (any Error)? { lock.withLock { error } }
    }
}

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Make, list and revoke the keys of 'clientele serve' (users who may configure).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a key for a user (or, with --service, for an application); prints it once.")
        @OptionGroup var options: ActingOptions
        @Option(help: "The user the key acts as.") var user: String?
        @Flag(help: "A service key: each request names the user it acts as in the header Clientele-User.")
        var service = false
        @Option(help: "The key's name (default key-N).") var name: String?
        @Option(help: "text (the key) or json") var format: OutputFormat = .text

        func validate() throws {
            if (user == nil) == !service { throw ValidationError("give --user USER, or --service (not both)") }
        }

        func run() throws {
            try Clock.checkWriting(options.store.now)
            let made = try KeyAdministration(directory: options.config.directory())
                .create(as: options.actor, user: user, name: name, time: options.time)
            switch format {
            case .json:
                var listing = made.key.listing
                if case .object(var members) = listing {
                    members.append(("key", .string(made.secret)))
                    listing = .object(members)
                }
                Terminal.out(listing.jsonText + "\n")
            case .text:
                Terminal.out(made.secret + "\n")
            }
            Terminal.note(
                "key '\(made.key.name)' made for \(made.key.user.map { "user \($0)" } ?? "a service (Clientele-User names the user)"); it is shown only this once"
            )
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every key: name, user, when and by whom, revoked.")
        @OptionGroup var options: ActingOptions
        @Option(help: "text or json") var format: OutputFormat = .text

        func run() throws {
            let keys = try KeyAdministration(directory: options.config.directory()).list(as: options.actor)
            switch format {
            case .json: Terminal.out(JSONValue.array(keys.map(\.listing)).jsonText + "\n")
            case .text:
                let width = keys.map(\.name.count).max() ?? 0
                Terminal.out(
                    keys.map { key in
                        let who = key.user.map { "user \($0)" } ?? "service"
                        let state = key.revokedAt.map { "revoked \($0)" } ?? "active"
                        return PrintableText.escaped(
                            key.name.padding(toLength: width, withPad: " ", startingAt: 0)
                                + "  \(who)  made \(key.createdAt) by \(key.createdBy)  \(state)") + "\n"
                    }.joined())
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: the service refuses it (401) from its next refresh (every 250 ms).")
        @OptionGroup var options: ActingOptions
        @Argument(help: "The key's name.") var name: String

        func run() throws {
            try Clock.checkWriting(options.store.now)
            let key = try KeyAdministration(directory: options.config.directory())
                .revoke(as: options.actor, name: name, time: options.time)
            Done.say("key '\(key.name)' revoked")
        }
    }
}
