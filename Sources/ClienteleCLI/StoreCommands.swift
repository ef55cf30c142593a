import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// Options of every command that works on the store.
struct StoreOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions
    @Option(
        help: ArgumentHelp(
            "The time to record, ISO-8601 with an offset (default: now); writers take it only with CLIENTELE_CLOCK_OVERRIDE=1.",
            visibility: .hidden)) var now: String?

    var time: String { now ?? Timestamp.now() }

    /// `time` as seconds since 1970.
    var seconds: Double { Timestamp.parse(time) ?? Date().timeIntervalSince1970 }

    func validate() throws { try Clock.check(now) }

    /// The store and the config version it applied, compiled; `actor` (the `--as` user)
    /// must be an active user of that version.
    func open(writer: String?, actor: String?) throws -> (CompiledConfig, any CustomerStore) {
        if writer != nil { try Clock.checkWriting(now) }
        let applied = try Self.openApplied(config.directory(), writer: writer, actor: actor)
        return (applied.config, applied.store)
    }

    /// The applied store; a note on stderr when the directory was edited since.
    static func openApplied(_ directory: ConfigDirectory, writer: String?, actor: String? = nil) throws -> AppliedStore
    {
        let applied = try directory.openApplied(writer: writer)
        // The note first: a user added to the directory but not applied yet is why `--as` may fail.
        if let note = directory.editedNote(applied) { Terminal.note(note) }
        if let actor { _ = try applied.config.actingUser(actor) }
        return applied
    }
}

/// The options of a command a user runs on the store: `--config`, and `--as USER`,
/// the user who acts, checked against the rules.
struct ActingOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("as"), help: "The user who acts.") var actor: String

    var time: String { store.time }
    var config: ConfigOptions { store.config }

    /// The store under its applied version, with the acting user checked.
    func open(writer: String?) throws -> (CompiledConfig, any CustomerStore) {
        try store.open(writer: writer, actor: actor)
    }
}

/// FIELD=VALUE arguments.
func assignments(_ arguments: [String]) throws -> [(String, FieldInput)] {
    try arguments.map { argument in
        guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
            throw ValidationError("'\(argument)' is not FIELD=VALUE")
        }
        return (String(argument[..<eq]), .text(String(argument[argument.index(after: eq)...])))
    }
}

struct CustomerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer",
        abstract: "Add, show, edit and delete customers, as a named user checked against the rules.",
        subcommands: [
            Add.self, Show.self, Edit.self, Delete.self, List.self, Follow.self, Unfollow.self, Followup.self,
            Transfer.self, Restore.self, Merge.self, Lists.self, Duplicates.self,
        ])

    struct Duplicates: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Groups of customers the matching rules (duplicates: in the config) find alike.",
            discussion: """
                Among the customers the user may view, and only where they may read every matched field \
                unmasked. One line per group: the rule, the values the customers share, their ids.
                """)
        @OptionGroup var options: ActingOptions
        @Option(help: "Only this matching rule.") var rule: String?
        @Option(help: "text or json") var format: OutputFormat = .text

        func run() throws {
            let (config, store) = try options.open(writer: nil)
            let operations = CustomerOperations(config: config, store: store, now: options.store.seconds)
            let rules = try operations.duplicateRules(named: rule)
            if rules.isEmpty {
                Terminal.note("the config has no matching rules: 'duplicates:' declares them")
            }
            let groups = try operations.duplicates(as: options.actor, rules: rules)
            switch format {
            case .json: Terminal.out(JSONValue.array(groups.map(\.json)).jsonText + "\n")
            case .text:
                for group in groups {
                    let values = group.values.map { "\"\($0)\"" }.joined(separator: " / ")
                    Terminal.out(
                        PrintableText.escaped("\(group.rule)  \(values)  \(group.ids.joined(separator: ", "))") + "\n")
                }
                let customers = groups.reduce(0) { $0 + $1.ids.count }
                Terminal.out(
                    groups.isEmpty
                        ? "no duplicates among the customers \(options.actor) may see\n"
                        : "\(Done.count(groups.count, "group")) of duplicates, \(Done.count(customers, "customer"))\n")
            }
        }
    }

    struct Lists: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The saved lists (lists: in the config) the user may open with 'customer list --list'.")
        @OptionGroup var options: ActingOptions
        @Option(help: "text or json") var format: OutputFormat = .text

        func run() throws {
            let (config, store) = try options.open(writer: nil)
            let lists = try CustomerListing(config: config, store: store).savedLists(for: options.actor)
            switch format {
            case .json: Terminal.out(JSONValue.array(lists.map(CustomerListing.json)).jsonText + "\n")
            case .text:
                if lists.isEmpty { Terminal.out("no list is shown to \(options.actor)\n") }
                let width = lists.map(\.id.count).max() ?? 0
                for l in lists {
                    let over =
                        l.package.map { "package \($0)" } ?? "\(l.table.rawValue)\(l.team.map { " of \($0)" } ?? "")"
                    Terminal.out(
                        PrintableText.escaped(
                            l.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                                + (l.name.map { "\($0) " } ?? "") + "(\(over))") + "\n")
                }
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate and store a new customer; prints its id.")
        @OptionGroup var options: ActingOptions
        @Option(help: "individual, organization or work_order") var table: String
        @Option(help: "A package of that table.") var package: String?
        @Option(help: "The team (when the user belongs to several).") var team: String?
        @Argument(help: "FIELD=VALUE pairs (account_executive=USER names another owner).") var values: [String] = []
        @Option(help: "text (the new id) or json ({\"id\": ...})") var format: OutputFormat = .text

        func run() throws {
            guard let kind = TableKind(rawValue: table) else {
                throw ValidationError(
                    "there is no table '\(table)'; the tables are \(TableKind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let pairs = try assignments(values)
            let (config, store) = try options.open(writer: "clientele customer add")
            let added = try CustomerOperations(config: config, store: store)
                .add(
                    as: options.actor, team: team, table: kind, package: package, assignments: pairs, time: options.time
                )
            for match in added.duplicates { Terminal.warning("\(added.id) \(match.message)") }
            Terminal.out(
                format == .json
                    ? JSONValue.object([
                        ("id", .string(added.id)), ("duplicates", .array(added.duplicates.map(\.json))),
                    ]).jsonText + "\n"
                    : added.id + "\n")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a customer as the user may see it (JSON).")
        @OptionGroup var options: ActingOptions
        @Argument(help: "The customer's id.") var id: String
        @Option(help: "A view: its field order, without its hidden fields.") var view: String?
        @Option(help: "text (a card: fields by display name, in view order) or json (the document)") var format:
            OutputFormat = .text

        func run() throws {
            let (config, store) = try options.open(writer: nil)
            let listing = CustomerListing(config: config, store: store)
            let document = CustomerListing.arranged(
                try listing.operations.show(as: options.actor, id: id), try listing.view(named: view))
            switch format {
            case .json: Terminal.out(document.jsonText + "\n")
            case .text:
                Terminal.out(CustomerCard.text(document, config: config))
                // The customer's related records, counted by kind.
                let counts = try RelatedRecords(operations: listing.operations).counts(of: id)
                if !counts.isEmpty {
                    Terminal.out(
                        PrintableText.escaped(
                            "  Related records         "
                                + counts.map { "\($0.count) \($0.kind)" }.joined(separator: ", "))
                            + "\n")
                }
            }
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change fields (FIELD=VALUE; FIELD= clears); logged with each change.",
            discussion: """
                One customer, several (ID... FIELD=VALUE...), or those --where selects (with --table, --package, \
                --tag): several are one batch, all or none, each customer checked by the rules and validated; a \
                selection is counted and confirmed on a terminal (--yes without one).
                """)
        @OptionGroup var options: ActingOptions
        @Argument(help: "The customers' ids, then FIELD=VALUE pairs.") var arguments: [String] = []
        @Option(help: "A campaign view: only its agent fields may change.") var view: String?
        @OptionGroup var selection: SelectionOptions
        @Flag(help: "Edit a selection without asking.") var yes = false

        /// The leading arguments that are not FIELD=VALUE are ids.
        var split: (ids: [String], values: [String]) {
            let ids = Array(arguments.prefix { !$0.contains("=") })
            return (ids, Array(arguments.dropFirst(ids.count)))
        }

        func validate() throws {
            let (ids, values) = split
            if values.isEmpty, ids.count > 1 { throw ValidationError("'\(ids[1])' is not FIELD=VALUE") }
            if values.isEmpty, selection.selects || ids.count == 1 {
                throw ValidationError("give the fields to change: FIELD=VALUE")
            }
            try selection.validate(ids: ids, verb: "edit")
            if view != nil && (ids.count != 1 || selection.selects) {
                throw ValidationError("--view edits one customer")
            }
        }

        func run() throws {
            let (ids, values) = split
            let pairs = try assignments(values)
            let (config, store) = try options.open(writer: "clientele customer edit")
            let listing = CustomerListing(config: config, store: store, now: options.store.seconds)
            if ids.count == 1 {
                let id = ids[0]
                let changed = try listing.operations.edit(
                    as: options.actor, id: id, assignments: pairs, time: options.time,
                    view: try listing.view(named: view))
                Done.say(
                    changed.isEmpty
                        ? "\(id): nothing changed (the values were already so)"
                        : "\(id): \(Done.count(changed.count, "field")) changed")
                return
            }
            var chosen = ids
            if selection.selects {
                chosen = try listing.ids(as: options.actor, selection.query(.edit, now: options.store.seconds))
                guard !chosen.isEmpty else {
                    Done.say("no customer \(options.actor) may edit matches; nothing changed")
                    return
                }
                try Confirmation.ask(
                    "Edit \(Done.count(chosen.count, "customer"))?", yes: yes,
                    check: "'clientele customer list' with the same selection shows the customers")
            }
            let changed = try listing.operations.editMany(
                as: options.actor, ids: chosen, assignments: pairs, time: options.time)
            Done.say(
                changed.isEmpty
                    ? "nothing changed: the values were already so"
                    : "edited \(Done.list(changed.map(\.id))): \(Done.count(changed.reduce(0) { $0 + $1.fields.count }, "field")) changed"
            )
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a customer: it goes to the bin, where 'customer restore' takes it back (logged).")
        @OptionGroup var options: ActingOptions
        @Argument(help: "The customer's id.") var id: String
        @Flag(help: "Delete its related records with it (each logged; all kept in a backup first).") var cascade = false

        func run() throws {
            let (config, store) = try options.open(writer: "clientele customer delete")
            let backup = try CustomerOperations(config: config, store: store).delete(
                as: options.actor, id: id, time: options.time, cascade: cascade)
            Done.say(
                "deleted \(id)\(backup.map { " and its related records (kept in \($0))" } ?? ""); it stays in the bin \(config.model.binDays) days ('clientele customer restore \(id)')"
            )
        }
    }
}

extension CustomerCommand {
    struct Follow: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add customers to the user's followed list.")
        @OptionGroup var options: ActingOptions
        @Argument(help: "Customer ids.") var ids: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele customer follow")
            let changed = try CustomerOperations(config: config, store: store).follow(
                as: options.actor, ids: ids, following: true, time: options.time)
            Done.say(
                changed.isEmpty
                    ? "\(options.actor) already follows \(Done.list(ids))"
                    : "\(options.actor) now follows \(Done.list(changed))")
        }
    }

    struct Unfollow: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove customers from the user's followed list.")
        @OptionGroup var options: ActingOptions
        @Argument(help: "Customer ids.") var ids: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele customer unfollow")
            let changed = try CustomerOperations(config: config, store: store).follow(
                as: options.actor, ids: ids, following: false, time: options.time)
            Done.say(
                changed.isEmpty
                    ? "\(options.actor) did not follow \(Done.list(ids))"
                    : "\(options.actor) no longer follows \(Done.list(changed))")
        }
    }
}

/// `--users a,b` style lists.
func commaList(_ text: String?) -> [String] {
    (text ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

struct ShareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share", abstract: "Share customers (additive; several ids make a batch share).")
    @OptionGroup var options: ActingOptions
    @Argument(help: "Customer ids.") var ids: [String]
    @Option(help: "Users, comma-separated.") var users: String?
    @Option(help: "Departments, comma-separated (their sub-departments share too).") var departments: String?
    @Option(help: "Roles, comma-separated.") var roles: String?

    func run() throws {
        let (config, store) = try options.open(writer: "clientele share")
        let changed = try CustomerOperations(config: config, store: store).share(
            as: options.actor, ids: ids, users: commaList(users), departments: commaList(departments),
            roles: commaList(roles), time: options.time)
        let with = Done.targets(users: users, departments: departments, roles: roles)
        Done.say(
            changed.isEmpty
                ? "nothing changed: \(Done.list(ids)) already shared with \(with)"
                : "shared \(Done.list(changed)) with \(with)")
    }
}

struct UnshareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unshare",
        abstract: "Cancel sharing of customers: --all, or the users, departments and roles named.")
    @OptionGroup var options: ActingOptions
    @Argument(help: "Customer ids.") var ids: [String]
    @Flag(help: "Cancel all sharing.") var all = false
    @Option(help: "Users, comma-separated.") var users: String?
    @Option(help: "Departments, comma-separated.") var departments: String?
    @Option(help: "Roles, comma-separated.") var roles: String?

    func validate() throws {
        guard all || !(commaList(users).isEmpty && commaList(departments).isEmpty && commaList(roles).isEmpty) else {
            throw ValidationError("say whom to stop sharing with: --all, or --users, --departments or --roles")
        }
    }

    func run() throws {
        let (config, store) = try options.open(writer: "clientele unshare")
        let changed = try CustomerOperations(config: config, store: store).unshare(
            as: options.actor, ids: ids, all: all, users: commaList(users),
            departments: commaList(departments), roles: commaList(roles), time: options.time)
        let from = all ? "anyone" : Done.targets(users: users, departments: departments, roles: roles)
        Done.say(
            changed.isEmpty
                ? "nothing changed: \(Done.list(ids)) was not shared with \(from)"
                : "stopped sharing \(Done.list(changed)) with \(from)")
    }
}

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag", abstract: "Overwrite (set) or add tags.", subcommands: [Set.self, Add.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the tags of customers: tag set ID... TAG...")
        @OptionGroup var options: ActingOptions
        @Argument(help: "Customer ids, then tags.") var arguments: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele tag set")
            let (ids, tags) = CustomerOperations(config: config, store: store).splitIdsAndTags(
                arguments, as: options.actor)
            let changed = try CustomerOperations(config: config, store: store).tag(
                as: options.actor, ids: ids, tags: tags, overwrite: true, time: options.time)
            Done.say(
                changed.isEmpty
                    ? "nothing changed: \(Done.list(ids)) already had exactly those tags"
                    : "set the tags of \(Done.list(changed)) to \(tags.isEmpty ? "none" : tags.joined(separator: ", "))"
            )
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add tags to customers: tag add ID... TAG...")
        @OptionGroup var options: ActingOptions
        @Argument(help: "Customer ids, then tags.") var arguments: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele tag add")
            let (ids, tags) = CustomerOperations(config: config, store: store).splitIdsAndTags(
                arguments, as: options.actor)
            guard !tags.isEmpty else { throw OperationError.invalid(["name at least one tag after the customer ids"]) }
            let changed = try CustomerOperations(config: config, store: store).tag(
                as: options.actor, ids: ids, tags: tags, overwrite: false, time: options.time)
            Done.say(
                changed.isEmpty
                    ? "nothing changed: \(Done.list(ids)) already had \(tags.joined(separator: ", "))"
                    : "tagged \(Done.list(changed)) \(tags.joined(separator: ", "))")
        }
    }
}

extension CustomerCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What the user may see, filtered: one line per customer, or JSON.")
        @OptionGroup var options: ActingOptions
        @Option(name: .customLong("where"), help: "An expression over the customer (as in rules).") var whereExpression:
            String?
        @Option(help: "Text to find in the name, phones, e-mail or number.") var search: String?
        @Option(help: "Only customers with this tag.") var tag: String?
        @Flag(help: "Only customers the user follows.") var followed = false
        @Option(help: "Only customers of this package.") var package: String?
        @Option(help: "Only customers of this table (individual or organization).") var table: TableKind?
        @Option(
            help:
                "Only customers sitting in this pool (for its members and admins); without it, pool customers are not listed."
        ) var pool: String?
        @Option(help: "A view: its customers, its field order, without its hidden fields.") var view: String?
        @Option(help: "A saved list (lists: in the config): its filter, columns and order.") var list: String?
        // Taken whatever it begins with: a point south or west begins with '-'.
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Only customers within --radius of this point (their billing latitude and longitude), nearest first.",
                valueName: "lat,lng")) var near: String?
        @Option(parsing: .unconditional, help: "With --near: the distance in km (default 5).") var radius: Double?
        @Option(help: "text or json") var format: OutputFormat = .text

        func validate() throws {
            if radius != nil && near == nil { throw ValidationError("--radius goes with --near") }
        }

        func run() throws {
            // The point is checked before the store is opened: a mistake costs nothing.
            let point = try near.map { try CustomerListing.Near($0, radius: radius) }
            let (config, store) = try options.open(writer: nil)
            var query = CustomerListing.Query()
            query.near = point
            query.now = options.store.seconds
            query.whereExpression = whereExpression
            query.search = search
            query.tag = tag
            query.followed = followed
            query.package = package
            query.pool = pool
            query.table = table
            query.view = view
            let listing = CustomerListing(config: config, store: store)
            query.list = try listing.savedList(named: list, for: options.actor)
            let documents = try listing.run(as: options.actor, query)
            let columns = query.list?.columns ?? []
            switch format {
            case .json: Terminal.out(JSONValue.array(documents).jsonText + "\n")
            case .text:
                if documents.isEmpty, let pool {
                    Terminal.out(
                        "no customers in pool '\(PrintableText.escaped(pool))'\(query.isFiltered ? " match" : "")\n")
                }
                // ☆ marks the customers the user follows (seed 003).
                Terminal.out(
                    documents.map { d in
                        let fields: [(String, JSONValue)]
                        if case .object(let f)? = d["fields"] { fields = f } else { fields = [] }
                        let followed: Bool
                        if case .array(let list)? = d["followers"] {
                            followed = list.contains(.string(options.actor))
                        } else {
                            followed = false
                        }
                        let shown: String
                        if columns.isEmpty {
                            shown = fields.prefix(4).map { "\($0.0)=\($0.1.stringValue ?? $0.1.jsonText)" }.joined(
                                separator: "  ")
                        } else {
                            // A list's columns, each as the user sees it (those they may not read are left out).
                            shown = columns.filter { $0 != "id" }.compactMap { name in
                                CustomerListing.column(name, of: d).flatMap { $0.isNull ? nil : $0 }.map {
                                    "\(name)=\($0.stringValue ?? $0.jsonText)"
                                }
                            }.joined(separator: "  ")
                        }
                        return PrintableText.escaped(
                            (followed ? "☆ " : "  ") + (d["id"]?.stringValue ?? "") + "  " + shown) + "\n"
                    }.joined())
            }
        }
    }
}

enum ExportFormat: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export what the user may export, masked where the field rules mask (JSON Lines or CSV).")
    @OptionGroup var options: ActingOptions
    @Option(name: .customLong("where"), help: "An expression over the customer (as in rules).") var whereExpression:
        String?
    @Option(help: "jsonl (default) or csv (needs --table).") var format: ExportFormat = .jsonl
    @Option(help: "Only this table (required for CSV).") var table: String?
    @Option(help: "Only this package.") var package: String?
    @Option(help: "A view: its customers, its field order, without its hidden fields.") var view: String?
    @Option(
        help:
            "Only customers sitting in this pool (for its members and admins); without it, pool customers are not exported."
    ) var pool: String?
    @Option(help: "Write to this file instead of standard output.") var out: String?
    @Flag(help: "CSV cells exactly as stored, without the ' that keeps spreadsheets from running a cell as a formula.")
    var rawCSV = false

    func run() throws {
        let kind = try table.map { name -> TableKind in
            guard let k = TableKind(rawValue: name) else { throw ValidationError("there is no table '\(name)'") }
            return k
        }
        if format == .csv && kind == nil { throw ValidationError("a CSV export needs --table (one table's columns)") }
        if let out { try OutputPath.check(out, option: "--out", options: options.config) }
        let (config, store) = try options.open(writer: nil)
        var query = CustomerListing.Query()
        query.now = options.store.seconds
        query.action = .export
        query.whereExpression = whereExpression
        query.package = package
        query.table = kind
        query.view = view
        query.pool = pool
        let text: String
        let documents = try CustomerListing(config: config, store: store).run(as: options.actor, query)
        switch format {
        case .jsonl: text = documents.map { $0.jsonText + "\n" }.joined()
        case .csv:
            let shown = try CustomerListing(config: config, store: store).view(named: view)
            text = try CustomerExport.csv(
                documents, config: config, table: kind!, package: package ?? shown?.package, view: shown, raw: rawCSV)
        }
        try OutputPath.write(text, to: out ?? "-")
    }
}

/// The one line a write prints when it succeeds.
enum Done {
    static func say(_ text: String) { Terminal.out(PrintableText.escaped(text) + "\n") }

    /// A few ids by name, more by count.
    static func list(_ ids: [String]) -> String {
        ids.count <= 5 ? ids.joined(separator: ", ") : "\(ids.count) customers"
    }

    static func count(_ n: Int, _ thing: String) -> String { "\(n) \(thing)\(n == 1 ? "" : "s")" }

    static func targets(users: String?, departments: String?, roles: String?) -> String {
        [("users", users), ("departments", departments), ("roles", roles)].compactMap { name, value in
            let items = commaList(value)
            return items.isEmpty
                ? nil : "\(items.count == 1 ? String(name.dropLast()) : name) \(items.joined(separator: ", "))"
        }.joined(separator: ", ")
    }
}
