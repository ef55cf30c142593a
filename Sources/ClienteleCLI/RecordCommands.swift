import ArgumentParser
import ClienteleCore
import ClienteleKit

/// `clientele record`: the records related to customers (`related:` kinds), each
/// checked by its customer's access and logged under its customer.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Add, show, edit, delete and list a customer's related records (contacts, orders, sites, ...).",
        discussion: """
            A related record belongs to one customer; who may view, edit or delete the customer may view, edit or \
            delete its records (access: inherit), and adding one edits the customer. Each change is logged under the \
            customer ('clientele log ID').
            """,
        subcommands: [Add.self, Show.self, Edit.self, Delete.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate and store a new record; prints its id.")
        @OptionGroup var options: ActingOptions
        @Option(help: "The related kind (related: in the config).") var kind: String
        @Option(help: "The customer it belongs to.") var customer: String
        @Option(help: "The record it is within, when its kind says so (an asset's site).") var within: String?
        @Argument(help: "FIELD=VALUE pairs.") var values: [String] = []
        @Option(help: "text (the new id) or json ({\"id\": ...})") var format: OutputFormat = .text

        func run() throws {
            let pairs = try assignments(values)
            let (config, store) = try options.open(writer: "clientele record add")
            let id = try RelatedRecords(config: config, store: store).add(
                as: options.actor, kind: kind, customer: customer, within: within, assignments: pairs,
                time: options.time)
            Terminal.out(format == .json ? JSONValue.object([("id", .string(id))]).jsonText + "\n" : id + "\n")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a record (JSON).")
        @OptionGroup var options: ActingOptions
        @Argument(help: "The record's id.") var id: String

        func run() throws {
            let (config, store) = try options.open(writer: nil)
            Terminal.out(
                try RelatedRecords(config: config, store: store).show(as: options.actor, id: id).jsonText + "\n")
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change fields of a record (FIELD=VALUE; FIELD= clears); logged with each change.")
        @OptionGroup var options: ActingOptions
        @Argument(help: "The record's id.") var id: String
        @Argument(help: "FIELD=VALUE pairs.") var values: [String] = []

        func run() throws {
            let pairs = try assignments(values)
            guard !pairs.isEmpty else { throw ValidationError("give FIELD=VALUE pairs to change") }
            let (config, store) = try options.open(writer: "clientele record edit")
            let changed = try RelatedRecords(config: config, store: store).edit(
                as: options.actor, id: id, assignments: pairs, time: options.time)
            Done.say(
                changed.isEmpty
                    ? "nothing changed: \(id) already had those values"
                    : "edited \(id): \(changed.joined(separator: ", "))")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a record (the log keeps its document).")
        @OptionGroup var options: ActingOptions
        @Argument(help: "The record's id.") var id: String

        func run() throws {
            let (config, store) = try options.open(writer: "clientele record delete")
            try RelatedRecords(config: config, store: store).delete(as: options.actor, id: id, time: options.time)
            Done.say("deleted \(id)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A customer's records, of one kind or of every kind: one line each, or JSON.")
        @OptionGroup var options: ActingOptions
        @Option(help: "The customer.") var customer: String
        @Option(help: "Only records of this kind.") var kind: String?
        @Option(help: "text or json") var format: OutputFormat = .text

        func run() throws {
            let (config, store) = try options.open(writer: nil)
            let records = try RelatedRecords(config: config, store: store).list(
                as: options.actor, kind: kind, customer: customer)
            switch format {
            case .json: Terminal.out(JSONValue.array(records).jsonText + "\n")
            case .text:
                for record in records {
                    let fields: [(String, JSONValue)]
                    if case .object(let f)? = record["fields"] { fields = f } else { fields = [] }
                    let shown = fields.prefix(4).map { "\($0.0)=\($0.1.stringValue ?? $0.1.jsonText)" }
                    let head =
                        [record["id"]?.stringValue ?? "", record["kind"]?.stringValue ?? ""]
                        + (record["within"]?.stringValue.map { ["within \($0)"] } ?? [])
                    Terminal.out(PrintableText.escaped((head + shown).joined(separator: "  ")) + "\n")
                }
            }
        }
    }
}
