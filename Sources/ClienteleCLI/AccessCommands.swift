import ClienteleCore
import ClienteleSpec
import ClienteleModel
import ClienteleEngine
import ClienteleStore
import ClienteleKit
import ArgumentParser
import Foundation

/// The config, the customers in an access table (the store's, or a file's), and the policy.
struct AccessSession {
    let config: CompiledConfig
    let customers: CustomerTable
    /// What a customer id that is not found is missing from, for messages.
    let source: String
    var policy: AccessPolicy { config.access }

    init(_ options: StoreOptions, customers file: CustomerFileOption) throws {
        guard let path = file.customers else {
            let (config, store) = try options.open(writer: nil, actor: nil)
            self.config = config
            source = "stored customer"
            do { customers = try store.customerTable(for: config.access) } catch {
                Terminal.error(error.message)
                throw ExitCode(1)
            }
            return
        }
        // Customers from a file: the rules decide over data that is not stored (yet),
        // under the applied version, or the directory's config while there is no store.
        config = try options.config.appliedOrDirectory()
        let mapped: MappedFile
        do { mapped = try MappedFile(path: path) } catch {
            Terminal.error(error.description)
            throw ExitCode(1)
        }
        let table = config.access.makeCustomerTable()
        var skipped: [Int] = []
        table.addJSONLines(mapped.bytes) { skipped.append($0) }
        if let first = skipped.first {
            let more = skipped.count > 1 ? " (and \(skipped.count - 1) more \(skipped.count == 2 ? "row" : "rows"))" : ""
            Terminal.error("\(path): row \(first): expected a customer, a JSON object with a text \"id\"\(more)")
            throw ExitCode(1)
        }
        customers = table
        source = "customer in \(path)"
    }

    func user(_ id: String) throws -> Int {
        guard let u = policy.org.user(id) else {
            Terminal.error("there is no user '\(id)'\(Suggestion.didYouMean(id, in: policy.org.userIds))")
            throw ExitCode(1)
        }
        return u
    }

    func customer(_ id: String) throws -> Int {
        guard let c = customers.index(of: id) else {
            Terminal.error("there is no customer '\(id)'")
            throw ExitCode(1)
        }
        return c
    }

    static func action(_ name: String) throws -> Action {
        guard let a = Action(rawValue: name) else {
            throw ValidationError("there is no action '\(name)'\(Suggestion.hint(name, in: Action.names, listing: "actions"))")
        }
        return a
    }
}

/// `--customers FILE`: decide over the customers of a JSON Lines file instead of the store's.
struct CustomerFileOption: ParsableArguments {
    @Option(help: ArgumentHelp("Decide over the customers of this JSON Lines file (stored documents or import rows) instead of the store's.",
                               valueName: "file"))
    var customers: String?
}

struct CanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "can",
        abstract: "Decide whether USER may take ACTION on CUSTOMER (exit 0 allowed, 3 denied); --batch FILE decides JSON Lines.")

    @OptionGroup var options: StoreOptions
    @OptionGroup var customerFile: CustomerFileOption
    @Argument(help: "USER ACTION CUSTOMER") var request: [String] = []
    @Option(help: "JSON Lines of {\"user\",\"action\",\"customer\"}; each line is written back with \"allowed\" and \"rule\".") var batch: String?
    @Flag(help: "Name the deciding rule and where it is written, or what would have allowed it.") var explain = false
    @Option(help: "text or json") var format: OutputFormat = .text

    func validate() throws {
        if batch == nil && request.count != 3 { throw ValidationError("give USER ACTION CUSTOMER, or --batch FILE") }
    }

    func run() throws {
        let session = try AccessSession(options, customers: customerFile)
        if let batch { return try runBatch(session, batch) }
        let (u, a, c) = (try session.user(request[0]), try AccessSession.action(request[1]), try session.customer(request[2]))
        let e = session.policy.explain(user: u, action: a, customer: c, in: session.customers)
        switch format {
        case .json:
            let value: JSONValue = .object([
                ("allowed", .bool(e.decision.allowed)), ("user", .string(request[0])), ("action", .string(request[1])),
                ("customer", .string(request[2])), ("rule", e.decision.ruleId.map(JSONValue.string) ?? .null),
                ("location", e.location.map { .string($0.description) } ?? .null), ("reasons", .array(e.reasons.map(JSONValue.string))),
            ])
            Terminal.out(value.jsonText + "\n")
        case .text:
            Terminal.out(e.decision.allowed ? "allowed" : "denied")
            Terminal.out(explain ? "\n" + e.reasons.map { "  " + $0 + "\n" }.joined() : (e.decision.ruleId.map { " (rule '\($0)')" } ?? "") + "\n")
        }
        if !e.decision.allowed { throw ExitCode(3) }
    }

    private func runBatch(_ session: AccessSession, _ path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            Terminal.error("cannot read \(path)")
            throw ExitCode(1)
        }
        var out = ""
        var failed = 0
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.allSatisfy(\.isWhitespace) {
            guard let r = try? JSONValue.parse(String(line)), case .object(var members) = r else {
                Terminal.error("\(path): row \(k + 1): expected a JSON object {\"user\",\"action\",\"customer\"}")
                throw ExitCode(1)
            }
            // Which of two "user" keys counts is up to the reader: refused, so no two readers disagree.
            var keys = Set<String>()
            if let twice = members.first(where: { !keys.insert($0.0).inserted }) {
                Terminal.error("\(path): row \(k + 1): the key \"\(twice.0)\" is given twice")
                throw ExitCode(1)
            }
            // A request that names no user, action or stored customer is answered with
            // an error on its own line; the others are still decided.
            let user = r["user"]?.stringValue.flatMap(session.policy.org.user)
            let action = r["action"]?.stringValue.flatMap(Action.init(rawValue:))
            let customer = r["customer"]?.stringValue.flatMap(session.customers.index(of:))
            guard let user, let action, let customer else {
                let what = user == nil ? "no user \(r["user"]?.jsonText ?? "null")" : action == nil ? "no action \(r["action"]?.jsonText ?? "null")"
                    : "no \(session.source) \(r["customer"]?.jsonText ?? "null")"
                members.removeAll { ["allowed", "rule", "error"].contains($0.0) }
                members += [("allowed", .bool(false)), ("rule", .null), ("error", .string("there is \(what)"))]
                out += JSONValue.object(members).jsonText + "\n"
                failed += 1
                continue
            }
            let d = session.policy.decide(user: user, action: action, customer: customer, in: session.customers)
            members.removeAll { $0.0 == "allowed" || $0.0 == "rule" }
            members.append(("allowed", .bool(d.allowed)))
            members.append(("rule", d.ruleId.map(JSONValue.string) ?? .null))
            out += JSONValue.object(members).jsonText + "\n"
        }
        Terminal.out(out)
        if failed > 0 {
            Terminal.err("\(failed) \(failed == 1 ? "request names" : "requests name") no user, action or \(session.source) (see \"error\")\n")
            throw ExitCode(1)
        }
    }
}

struct WhoCanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "who-can",
        abstract: "Every user who may take ACTION on CUSTOMER, each with the deciding rule; exact, never truncated.")

    @OptionGroup var options: StoreOptions
    @OptionGroup var customerFile: CustomerFileOption
    @Argument(help: "The action.") var action: String
    @Argument(help: "The customer's id.") var customer: String
    @Option(help: "text or json") var format: OutputFormat = .text

    func run() throws {
        let session = try AccessSession(options, customers: customerFile)
        let list = session.policy.whoCan(try AccessSession.action(action), customer: try session.customer(customer), in: session.customers)
        let ids = session.policy.org.userIds
        switch format {
        case .json:
            Terminal.out(JSONValue.object([("action", .string(action)), ("customer", .string(customer)),
                                           ("users", .array(list.map { .object([("user", .string(ids[$0.user])), ("rule", .string($0.rule))]) }))]).jsonText + "\n")
        case .text:
            let width = list.map { ids[$0.user].count }.max() ?? 0
            Terminal.out(list.map { ids[$0.user].padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.rule + "\n" }.joined())
        }
    }
}

struct VisibleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visible",
        abstract: "Every customer USER may take the action on (default view).")

    @OptionGroup var options: StoreOptions
    @OptionGroup var customerFile: CustomerFileOption
    @Argument(help: "The user.") var user: String
    @Option(help: "The action (default view).") var action: String = "view"
    @Flag(help: "Print only how many.") var count = false
    @Option(help: "text or json") var format: OutputFormat = .text

    func run() throws {
        let session = try AccessSession(options, customers: customerFile)
        let list = session.policy.visible(user: try session.user(user), action: try AccessSession.action(action),
                                          in: session.customers, index: CustomerIndex(session.customers))
        let ids = list.map { session.customers.ids[$0] }
        switch (format, count) {
        case (.json, true): Terminal.out(JSONValue.object([("count", .number(String(ids.count)))]).jsonText + "\n")
        case (.json, false):
            Terminal.out(JSONValue.object([("user", .string(user)), ("action", .string(action)), ("customers", .array(ids.map(JSONValue.string)))]).jsonText + "\n")
        case (.text, true): Terminal.out("\(ids.count)\n")
        case (.text, false): Terminal.out(ids.map { PrintableText.escaped($0) + "\n" }.joined())
        }
    }
}

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "The customer log as a timeline: time, actor, type, customers, changes and reason.")

    @OptionGroup var options: StoreOptions
    @Option(name: .customLong("as"), help: "The user who reads: only entries about customers they may view, values as they may see them.") var actor: String
    @Argument(help: "Only entries about this customer.") var id: String?
    @Option(help: ArgumentHelp("Only entries of this type: \(CustomerLog.types.joined(separator: ", ")).")) var type: String?
    @Option(help: "Only entries at or after this time (ISO-8601).") var since: String?
    @Option(help: "Only entries before this time (ISO-8601).") var until: String?
    @Option(help: "text or json") var format: OutputFormat = .text

    func validate() throws {
        if let type, !CustomerLog.types.contains(type) {
            throw ValidationError("there is no log entry type '\(type)'\(Suggestion.hint(type, in: CustomerLog.types, listing: "types"))")
        }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, !CustomerLog.isTime(value) {
                throw ValidationError("\(name) must be a date (2026-11-23) or a date and time with an offset (2026-11-23T09:00:00Z), not '\(value)'")
            }
        }
    }

    func run() throws {
        let (config, store) = try options.open(writer: nil, actor: actor)
        let selected: [JSONValue]
        do throws(OperationError) {
            let entries: [JSONValue]
            do { entries = try store.logEntries() } catch { throw OperationError.store(error) }
            // What the user may read first, then the filters: a filter on a customer they may not view finds nothing.
            let readable = try CustomerLog.readable(entries, as: actor, operations: CustomerOperations(config: config, store: store))
            selected = CustomerLog.filter(readable, customer: id, type: type, since: since, until: until)
        } catch { throw StoreOptions.fail(error) }
        switch format {
        case .json: Terminal.out(JSONValue.array(selected).jsonText + "\n")
        case .text: Terminal.out(selected.map(CustomerLog.line).joined())
        }
    }
}
