import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import Foundation

/// A question answered `yes` on a terminal before a change to many customers; with no
/// terminal to ask on, `--yes` answers it. Anything else stops the command (exit 1).
enum Confirmation {
    /// The command as it was given, for a person to run again with `--yes`.
    static var rerun: String {
        (["clientele"] + CommandLine.arguments.dropFirst().map(Shell.quoted)).joined(separator: " ")
    }

    /// Asks on a terminal; without one, says how to go on. `check` says how to see first
    /// what the command would do.
    static func ask(_ question: String, yes: Bool, check: String = "check what it does with --dry-run") throws {
        guard !yes else { return }
        guard Terminal.isTerminal(0) else {
            Terminal.error(
                "this asks for a confirmation, and there is no terminal to ask on; \(check) and run '\(rerun) --yes'"
            )
            throw ExitCode(1)
        }
        // On stderr: stdout may be a file of the command's output.
        Terminal.err("\(question) Type 'yes' to go on: ")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            Terminal.err("Nothing was changed.\n")
            throw ExitCode(1)
        }
    }
}

extension CustomerCommand {
    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Give customers to another account executive (and service representative), checked by 'assign', all or nothing.",
            discussion: """
                Name the customers, or select them with --where (and --table, --package, --tag): a selection \
                is counted and confirmed on a terminal (--yes without one). --dry-run says how many customers \
                each user gains and loses, and changes nothing.
                """)
        @OptionGroup var options: ActingOptions
        @Argument(help: "Customer ids.") var ids: [String] = []
        @Option(help: "The new account executive.") var to: String
        @Option(help: "The new customer service representative.") var serviceRep: String?
        @OptionGroup var selection: SelectionOptions
        @Flag(help: "Say what would change, and change nothing.") var dryRun = false
        @Flag(help: "Transfer a selection without asking.") var yes = false
        @Option(help: "text or json") var format: OutputFormat = .text

        func validate() throws {
            try selection.validate(ids: ids, verb: "transfer")
        }

        func run() throws {
            let (config, store) = try options.open(writer: dryRun ? nil : "clientele customer transfer")
            let listing = CustomerListing(config: config, store: store, now: options.store.seconds)
            var chosen = ids
            if selection.selects {
                chosen = try listing.ids(as: options.actor, selection.query(.assign, now: options.store.seconds))
                guard !chosen.isEmpty else {
                    if format == .json {
                        Terminal.out(Self.json(TransferOutcome(), dryRun: dryRun).jsonText + "\n")
                    } else {
                        Done.say("no customer \(options.actor) may transfer matches; nothing changed")
                    }
                    return
                }
            }
            let operations = listing.operations
            // The whole transfer is checked before anyone confirms it.
            var outcome = try operations.transfer(
                as: options.actor, ids: chosen, to: to, serviceRep: serviceRep, dryRun: true, time: options.time)
            if selection.selects && !dryRun && !outcome.transferred.isEmpty {
                try Confirmation.ask(
                    "Transfer \(Done.count(outcome.transferred.count, "customer")) to \(to)?", yes: yes)
            }
            if !dryRun && !outcome.transferred.isEmpty {
                outcome = try operations.transfer(
                    as: options.actor, ids: chosen, to: to, serviceRep: serviceRep, time: options.time)
            }
            switch format {
            case .json: Terminal.out(Self.json(outcome, dryRun: dryRun).jsonText + "\n")
            case .text:
                Terminal.out(
                    Self.summary(outcome, to: to, dryRun: dryRun).map { PrintableText.escaped($0) + "\n" }.joined())
            }
        }

        static func json(_ outcome: TransferOutcome, dryRun: Bool) -> JSONValue {
            guard case .object(let members) = outcome.json else { return outcome.json }
            return .object(members + [("dry_run", .bool(dryRun))])
        }

        /// The lines a person reads: what changed, then each user's gains and losses.
        static func summary(_ outcome: TransferOutcome, to: String, dryRun: Bool) -> [String] {
            let n = outcome.transferred.count
            var text =
                n == 0
                ? "nothing to transfer: \(Done.list(outcome.unchanged)) already \(outcome.unchanged.count == 1 ? "is" : "are") as asked"
                : "\(dryRun ? "would transfer" : "transferred") \(Done.list(outcome.transferred)) to \(to)"
            if n > 0 && !outcome.unchanged.isEmpty { text += " (\(outcome.unchanged.count) already as asked)" }
            if dryRun { text += "; nothing was changed (dry run)" }
            var lines = [text]
            for (title, list) in [
                ("account executives", outcome.accountExecutives), ("service representatives", outcome.serviceReps),
            ] where !list.isEmpty {
                lines.append("\(title):")
                let width = list.map(\.user.count).max() ?? 0
                for m in list.sorted(by: { $0.user < $1.user }) {
                    let moves = [m.gains > 0 ? "gains \(m.gains)" : nil, m.loses > 0 ? "loses \(m.loses)" : nil]
                    lines.append(
                        "  \(m.user.padding(toLength: width, withPad: " ", startingAt: 0))  \(moves.compactMap { $0 }.joined(separator: ", "))"
                    )
                }
            }
            return lines
        }
    }
}

enum DescribeFormat: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

struct DescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "The field definitions of the applied version, with who may read and write each field.",
        discussion: """
            Each field of a table (and the packages that get it) or of a package: identity, display name, type, \
            options, required, unique, hidden, and the active users the field rules let read it (unmasked or \
            masked) and write it. Before the first apply it describes the config directory.
            """)
    @OptionGroup var options: StoreOptions
    @Option(help: "Only this table.") var table: TableKind?
    @Option(help: "Only this package (every field its records have).") var package: String?
    @Option(help: "Only this team.") var team: String?
    @Option(help: "text, json or csv") var format: DescribeFormat = .text

    func run() throws {
        let directory = try options.config.directory()
        let config: CompiledConfig
        let inheritance: PackageInheritance
        if directory.storeExists {
            let applied = try StoreOptions.openApplied(directory, writer: nil)
            (config, inheritance) = (applied.config, applied.store.version?.inheritance ?? .everything)
        } else {
            (config, inheritance) = (try options.config.compile(), .everything)
        }
        let fields = try FieldCatalog.describe(
            config, inheritance: inheritance, team: team, table: table, package: package)
        switch format {
        case .json: Terminal.out(JSONValue.array(fields.map(\.json)).jsonText + "\n")
        case .csv: Terminal.out(Self.csv(fields))
        case .text: Terminal.out(Self.text(fields).map { PrintableText.escaped($0) + "\n" }.joined())
        }
    }

    static func users(_ list: [String]?, separator: String = ", ") -> String {
        guard let list else { return "everyone" }
        return list.isEmpty ? "nobody" : list.joined(separator: separator)
    }

    static func text(_ fields: [DescribedField]) -> [String] {
        var lines: [String] = []
        var place = ""
        for f in fields {
            let here =
                f.package.map { "package '\($0)' (the \(f.table.rawValue) table of team '\(f.team)')" }
                ?? "the \(f.table.rawValue) table of team '\(f.team)'"
            if here != place {
                if !lines.isEmpty { lines.append("") }
                lines.append(here)
                place = here
            }
            var traits = [f.type]
            if f.required { traits.append("required") }
            if f.unique { traits.append("unique") }
            if f.hidden { traits.append("hidden") }
            if !f.options.isEmpty { traits.append("options: \(f.options.joined(separator: ", "))") }
            lines.append("  \(f.identity) (\(f.display)): \(traits.joined(separator: "; "))")
            if f.package == nil {
                lines.append("    packages: \(f.packages.isEmpty ? "none" : f.packages.joined(separator: ", "))")
            }
            var access = "    read: \(users(f.readers))"
            if !f.masked.isEmpty { access += "; masked: \(f.masked.joined(separator: ", "))" }
            lines.append(access + "; write: \(users(f.writers))")
        }
        return lines
    }

    static func csv(_ fields: [DescribedField]) -> String {
        let header = [
            "Team", "Table", "Package", "Identity", "Display", "Type", "Required", "Unique", "Hidden", "Options",
            "Packages", "Read", "Masked", "Write",
        ]
        var out = header.joined(separator: ",") + "\r\n"
        for f in fields {
            let cells = [
                f.team, f.table.rawValue, f.package ?? "", f.identity, f.display, f.type, f.required ? "true" : "false",
                f.unique ? "true" : "false", f.hidden ? "true" : "false", f.options.joined(separator: ";"),
                f.packages.joined(separator: ";"), users(f.readers, separator: ";"), f.masked.joined(separator: ";"),
                users(f.writers, separator: ";"),
            ]
            out += cells.map { CSVCell.escaped($0, raw: false) }.joined(separator: ",") + "\r\n"
        }
        return out
    }
}

extension CustomerCommand {
    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put deleted customers back from the bin, exactly as they last stood (all or none).")
        @OptionGroup var options: ActingOptions
        @Argument(help: "Customer ids.") var ids: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele customer restore")
            let restored = try CustomerOperations(config: config, store: store, now: options.store.seconds).restore(
                as: options.actor, ids: ids, time: options.time)
            Done.say("restored \(Done.list(restored))")
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge customers into one: KEEP takes the fields it lacks, the tags, shares and followers.",
            discussion: """
                KEEP keeps its values; for each field it lacks it takes the first value the others give, in \
                the order named, or the one --take FIELD=ID names. The others go to the bin ('customer \
                restore' takes them back) and one 'merge' entry on every customer involved records it. One \
                batch: checked as an edit of KEEP and a deletion of each other, the merged customer validated.
                """)
        @OptionGroup var options: ActingOptions
        @Argument(help: "The customer kept, then those merged into it.") var ids: [String]
        @Option(help: "FIELD=ID: take this field's value from that customer (repeatable).") var take: [String] = []
        @Option(help: "text or json") var format: OutputFormat = .text

        func validate() throws {
            if ids.count < 2 { throw ValidationError("name the customer kept, then at least one to merge into it") }
            for pair in take where !pair.contains("=") || pair.hasPrefix("=") || pair.hasSuffix("=") {
                throw ValidationError("--take \(pair): expected FIELD=ID")
            }
        }

        func run() throws {
            let pairs = take.map { pair in
                let (field, id) = pair.split(separator: "=", maxSplits: 1).map(String.init).pair
                return (field: field, from: id)
            }
            let (config, store) = try options.open(writer: "clientele customer merge")
            let outcome = try CustomerOperations(config: config, store: store, now: options.store.seconds).merge(
                as: options.actor, keep: ids[0], others: Array(ids.dropFirst()), take: pairs, time: options.time)
            switch format {
            case .json: Terminal.out(outcome.json.jsonText + "\n")
            case .text:
                Done.say(
                    "merged \(Done.list(outcome.merged)) into \(outcome.kept)\(outcome.fields.isEmpty ? "" : ": \(outcome.fields.joined(separator: ", ")) changed"); the merged customers are in the bin"
                )
            }
        }
    }
}

extension Array where Element == String {
    /// The first two elements (the second empty when there is none).
    fileprivate var pair: (String, String) { (first ?? "", count > 1 ? self[1] : "") }
}

struct BinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bin",
        abstract: "The deleted customers that may still be restored (bin: {days: N} in clientele.yaml; 30 by default).",
        subcommands: [List.self, Purge.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The customers in the bin the user may restore, by number.")
        @OptionGroup var options: ActingOptions
        @Option(help: "text or json") var format: OutputFormat = .text

        func run() throws {
            let (config, store) = try options.open(writer: nil)
            let binned = try CustomerOperations(config: config, store: store, now: options.store.seconds).bin(
                as: options.actor)
            switch format {
            case .json: Terminal.out(JSONValue.array(binned.map(\.json)).jsonText + "\n")
            case .text:
                if binned.isEmpty { Terminal.out("the bin holds no customer \(options.actor) may restore\n") }
                for b in binned {
                    let name = b.document["fields"]?["name"]?.stringValue.map { "  name=\($0)" } ?? ""
                    Done.say("\(b.id)  deleted \(b.deletedAt) by \(b.deletedBy), until \(b.expiresAt)\(name)")
                }
            }
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "End the restore of the customers in the bin (deleted at least --older-than days ago): admins only; the log keeps their history."
        )
        @OptionGroup var options: ActingOptions
        @Option(help: "Only the customers deleted at least this many days ago.") var olderThan: Int?
        @Flag(help: "List what would be purged, and purge nothing.") var dryRun = false
        @Flag(help: "Purge without asking.") var yes = false

        func validate() throws {
            if let olderThan, olderThan < 0 { throw ValidationError("--older-than takes a number of days, 0 or more") }
        }

        func run() throws {
            let (config, store) = try options.open(writer: dryRun ? nil : "clientele bin purge")
            let operations = CustomerOperations(config: config, store: store, now: options.store.seconds)
            let chosen = try operations.purgeBin(
                as: options.actor, olderThanDays: olderThan, dryRun: true, time: options.time)
            guard !chosen.isEmpty else {
                Done.say("nothing to purge")
                return
            }
            if dryRun {
                Done.say("would purge \(Done.list(chosen)); nothing was changed (dry run)")
                return
            }
            try Confirmation.ask("Purge \(Done.count(chosen.count, "customer")) from the bin for good?", yes: yes)
            let purged = try operations.purgeBin(
                as: options.actor, olderThanDays: olderThan, dryRun: false, time: options.time)
            Done.say("purged \(Done.list(purged)) from the bin")
        }
    }
}
