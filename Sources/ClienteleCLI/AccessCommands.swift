import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// The customers the access questions are asked over: the store's, or with
/// `--customers FILE` a file's (under the applied version, or the directory's config
/// while there is no store).
enum AccessQuestions {
    static func open(_ options: StoreOptions, customers file: CustomerFileOption) throws -> Decisions {
        guard let path = file.customers else {
            var decisions = try Decisions(stored: StoreOptions.openApplied(options.config.directory(), writer: nil))
            decisions.now = options.seconds
            return decisions
        }
        var decisions = try Decisions(file: path, config: options.config.appliedOrDirectory())
        decisions.now = options.seconds
        return decisions
    }

    static func action(_ name: String) throws -> Action {
        guard let a = Action(rawValue: name) else {
            throw ValidationError(
                "there is no action '\(name)'\(Suggestion.hint(name, in: Action.names, listing: "actions"))")
        }
        return a
    }
}

/// `--customers FILE`: decide over the customers of a JSON Lines file instead of the store's.
struct CustomerFileOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Decide over the customers of this JSON Lines file (stored documents or import rows) instead of the store's.",
            valueName: "file"))
    var customers: String?
}

struct CanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "can",
        abstract:
            "Decide whether USER may take ACTION on CUSTOMER (exit 0 allowed, 3 denied); --batch FILE decides JSON Lines."
    )

    @OptionGroup var options: StoreOptions
    @OptionGroup var customerFile: CustomerFileOption
    @Argument(help: "USER ACTION CUSTOMER") var request: [String] = []
    @Option(
        help:
            "JSON Lines of {\"user\",\"action\",\"customer\"}; each line is written back with \"allowed\" and \"rule\"."
    ) var batch: String?
    @Flag(help: "Name the deciding rule and where it is written, or what would have allowed it.") var explain = false
    @Option(help: "text or json") var format: OutputFormat = .text

    func validate() throws {
        if batch == nil && request.count != 3 { throw ValidationError("give USER ACTION CUSTOMER, or --batch FILE") }
    }

    func run() throws {
        let decisions = try AccessQuestions.open(options, customers: customerFile)
        if let batch { return try runBatch(decisions, batch) }
        // Checked in the order written: the user, the action, the customer.
        _ = try decisions.user(request[0])
        let action = try AccessQuestions.action(request[1])
        let e = try decisions.explain(user: request[0], action: action, customer: request[2])
        switch format {
        case .json:
            let value: JSONValue = .object([
                ("allowed", .bool(e.decision.allowed)), ("user", .string(request[0])), ("action", .string(request[1])),
                ("customer", .string(request[2])), ("rule", e.decision.ruleId.map(JSONValue.string) ?? .null),
                ("location", e.location.map { .string($0.description) } ?? .null),
                ("reasons", .array(e.reasons.map(JSONValue.string))),
            ])
            Terminal.out(value.jsonText + "\n")
        case .text:
            Terminal.out(e.decision.allowed ? "allowed" : "denied")
            Terminal.out(
                explain
                    ? "\n" + e.reasons.map { "  " + $0 + "\n" }.joined()
                    : (e.decision.ruleId.map { " (rule '\($0)')" } ?? "") + "\n")
        }
        if !e.decision.allowed { throw ExitCode(3) }
    }

    private func runBatch(_ decisions: Decisions, _ path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            Terminal.error("cannot read \(path)")
            throw ExitCode(1)
        }
        let (lines, failed) = try decisions.batch(text, path: path)
        Terminal.out(lines)
        if failed > 0 {
            Terminal.err(
                "\(failed) \(failed == 1 ? "request names" : "requests name") no user, action or \(decisions.source) (see \"error\")\n"
            )
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
        let list = try AccessQuestions.open(options, customers: customerFile).whoCan(
            AccessQuestions.action(action), customer: customer)
        switch format {
        case .json:
            Terminal.out(
                JSONValue.object([
                    ("action", .string(action)), ("customer", .string(customer)),
                    ("users", .array(list.map { .object([("user", .string($0.user)), ("rule", .string($0.rule))]) })),
                ]).jsonText + "\n")
        case .text:
            let width = list.map { $0.user.count }.max() ?? 0
            Terminal.out(
                list.map { $0.user.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.rule + "\n" }
                    .joined())
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
        let decisions = try AccessQuestions.open(options, customers: customerFile)
        _ = try decisions.user(user)
        let ids = try decisions.visible(user: user, action: AccessQuestions.action(action))
        switch (format, count) {
        case (.json, true): Terminal.out(JSONValue.object([("count", .number(String(ids.count)))]).jsonText + "\n")
        case (.json, false):
            Terminal.out(
                JSONValue.object([
                    ("user", .string(user)), ("action", .string(action)),
                    ("customers", .array(ids.map(JSONValue.string))),
                ]).jsonText + "\n")
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
    @Option(
        name: .customLong("as"),
        help: "The user who reads: only entries about customers they may view, values as they may see them.") var actor:
        String
    @Argument(help: "Only entries about this customer.") var id: String?
    @Option(help: ArgumentHelp("Only entries of this type: \(CustomerLog.types.joined(separator: ", ")).")) var type:
        String?
    @Option(help: "Only entries at or after this time (ISO-8601).") var since: String?
    @Option(help: "Only entries before this time (ISO-8601).") var until: String?
    @Option(help: "text or json") var format: OutputFormat = .text

    func validate() throws {
        if let type, !CustomerLog.types.contains(type) {
            throw ValidationError(
                "there is no log entry type '\(type)'\(Suggestion.hint(type, in: CustomerLog.types, listing: "types"))")
        }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, !CustomerLog.isTime(value) {
                throw ValidationError(
                    "\(name) must be a date (2026-11-23) or a date and time with an offset (2026-11-23T09:00:00Z), not '\(value)'"
                )
            }
        }
    }

    func run() throws {
        let (config, store) = try options.open(writer: nil, actor: actor)
        let selected: [JSONValue]
        let entries: [JSONValue]
        do { entries = try store.logEntries() } catch { throw OperationError.store(error) }
        // What the user may read first, then the filters: a filter on a customer they may not view finds nothing.
        let readable = try CustomerLog.readable(
            entries, as: actor, operations: CustomerOperations(config: config, store: store))
        selected = CustomerLog.filter(readable, customer: id, type: type, since: since, until: until)
        switch format {
        case .json: Terminal.out(JSONValue.array(selected).jsonText + "\n")
        case .text: Terminal.out(selected.map(CustomerLog.line).joined())
        }
    }
}
