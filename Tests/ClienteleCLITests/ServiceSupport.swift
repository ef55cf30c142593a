import AsyncHTTPClient
import ClienteleTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `clientele serve` of the built binary on an ephemeral loopback port, over the
/// store of a config directory made for the test, and the keys made for it.
final class ServedStore: @unchecked Sendable {
    let dir: URL
    let process: Process
    let port: Int
    let stdout: URL
    let stderr: URL
    /// Keys by name: a user key per user asked for, and "app", a service key.
    private(set) var keys: [String: String] = [:]

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var detail: String { object["detail"] as? String ?? "" }
        var contentType: String { headers.first(name: "content-type") ?? "" }
    }

    private init(dir: URL, process: Process, port: Int, stdout: URL, stderr: URL) {
        self.dir = dir
        self.process = process
        self.port = port
        self.stdout = stdout
        self.stderr = stderr
    }

    /// The sales example (carol admin, alice east manager, bob and dora east reps, erin
    /// west), applied, with `customers` of bob's, user keys for `users` and the service
    /// key "app"; then the service, started on port 0.
    static func start(
        customers: Int = 3, users: [String] = ["carol", "alice", "bob", "dora", "erin"],
        prepare: @escaping @Sendable (URL) throws -> Void = { _ in }
    ) async throws -> ServedStore {
        try await offPool {
            /// A step of the setup that must succeed: its failure fails the test with what it said.
            func must(_ arguments: [String]) throws -> CLIRun {
                let run = try CLI.run(arguments)
                guard run.exitCode == 0 else {
                    throw ServedStoreError(message: "\(arguments.joined(separator: " ")): \(run.stderr)")
                }
                return run
            }
            let dir = try CLI.temporaryDirectory()
            _ = try must(["init", dir.path, "--example", "sales"])
            try prepare(dir)
            _ = try must(["apply", "--as", "carol", "--config", dir.path])
            for k in 0..<customers {
                _ = try must([
                    "customer", "add", "--as", "bob", "--table", "individual", "--config", dir.path,
                    "name=Customer \(k + 1)",
                    "email=c\(k + 1)@example.com",
                ])
            }
            var keys: [String: String] = [:]
            for user in users {
                let made = try must([
                    "key", "create", "--as", "carol", "--user", user, "--name", user, "--config", dir.path,
                ])
                keys[user] = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let app = try must(["key", "create", "--as", "carol", "--service", "--name", "app", "--config", dir.path])
            keys["app"] = app.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let served = try launchBlocking(dir)
            served.keys = keys
            return served
        }
    }

    /// Runs blocking work (a process and its wait) on a thread of its own: the test's
    /// concurrency pool has a thread per core, and a test blocking one starves the
    /// others' requests and timers (a "within 1 s" measured late).
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Starts `clientele serve` on `dir` and waits for the line that names its port.
    static func launch(_ dir: URL, arguments: [String] = []) async throws -> ServedStore {
        try await offPool { try launchBlocking(dir, arguments: arguments) }
    }

    private static func launchBlocking(_ dir: URL, arguments: [String] = []) throws -> ServedStore {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--config", dir.path, "--bind", "127.0.0.1:0"] + arguments
        let out = dir.appendingPathComponent("serve.stdout")
        let err = dir.appendingPathComponent("serve.stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            if let range = text.range(of: "http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), port > 0 {
                    return ServedStore(dir: dir, process: process, port: port, stdout: out, stderr: err)
                }
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        process.terminate()
        let said = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        throw ServedStoreError(message: "the service did not start: \(said)")
    }

    struct ServedStoreError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Sends SIGTERM and waits for the exit; returns the exit code and the seconds it took.
    @discardableResult
    func stop() -> (code: Int32, seconds: Double) {
        let started = Date()
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return (process.terminationStatus, Date().timeIntervalSince(started))
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// A request with `key` (a name of `keys`, or a literal key with `raw`), acting as `user`.
    func request(
        _ method: HTTPMethod, _ path: String, key: String? = nil, raw: String? = nil, user: String? = nil,
        body: String? = nil, bytes: [UInt8]? = nil, headers: [(String, String)] = [], timeout: Int64 = 30
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(keys[key] ?? key)") }
        if let raw { request.headers.add(name: "Authorization", value: raw) }
        if let user { request.headers.add(name: "Clientele-User", value: user) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        if let bytes {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(
            status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// Runs the CLI on this store.
    func cli(_ arguments: [String]) async throws -> CLIRun {
        let arguments = arguments + ["--config", dir.path]
        return try await Self.offPool { try CLI.run(arguments) }
    }

    /// Every byte of the store's data, versions and keys: unchanged after a refusal.
    func storeBytes() throws -> [String: Data] {
        let store = dir.appendingPathComponent(".clientele/store")
        var files: [String: Data] = [:]
        for folder in ["data", "versions"] {
            let url = store.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
                files[folder + "/" + name] = try Data(contentsOf: url.appendingPathComponent(name))
            }
        }
        files["keys.json"] = try? Data(contentsOf: store.appendingPathComponent("keys.json"))
        return files
    }

    /// Polls `condition` every 20 ms for up to `seconds`; returns the seconds it took, or nil.
    func within(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Double? {
        let started = Date()
        while Date().timeIntervalSince(started) < seconds {
            if try await condition() { return Date().timeIntervalSince(started) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
