import ArgumentParser
import Clientele
import Foundation

/// Options of every command that works on the store.
struct StoreOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions
    @Option(help: ArgumentHelp("The time to record, ISO-8601 with an offset (default: now).", visibility: .hidden)) var now: String?

    var time: String { now ?? ISO8601DateFormatter().string(from: Date()) }

    /// The config compiled with what the store's packages inherited, and the store.
    func open(writer: String?) throws -> (CompiledConfig, JSONFileStore) {
        try Self.open(config: config, writer: writer)
    }

    static func open(config: ConfigOptions, writer: String?) throws -> (CompiledConfig, JSONFileStore) {
        let (directory, prefix) = try config.locate()
        let storePath = try Self.storePath(directory: directory, prefix: prefix)
        let store: JSONFileStore
        do { store = try JSONFileStore.open(path: storePath, writer: writer) } catch {
            Terminal.error(error.message)
            throw ExitCode(1)
        }
        let (compiled, diagnostics, files) = Pipeline.compile(directory: directory, displayPrefix: prefix, inheritance: store.version?.inheritance ?? .everything)
        Terminal.printDiagnostics(diagnostics, files: files)
        guard let compiled else { throw ExitCode(1) }
        return (compiled, store)
    }

    static func storePath(directory: URL, prefix: String) throws -> String {
        let loaded = ConfigLoader(displayPrefix: prefix).load(directory: directory)
        let written = loaded.declarations.project?.store?.value ?? ModelBuilder.defaultStorePath
        return written.hasPrefix("/") ? written : directory.appendingPathComponent(written).path
    }

    static func fail(_ error: OperationError) -> ExitCode {
        switch error {
        case .refused(let why):
            Terminal.error(why)
            return ExitCode(3)
        case .invalid(let problems):
            for p in problems { Terminal.error(p) }
            return ExitCode(1)
        case .store(let e):
            Terminal.error(e.message)
            return ExitCode(1)
        }
    }
}

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Create the store the config names and record the config as its first version.")

    @OptionGroup var options: StoreOptions
    @Option(name: .customLong("as"), help: "Who applies (recorded in the log).") var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "admin"

    func run() throws {
        let (config, store) = try options.open(writer: "clientele apply")
        do {
            try store.applyFirst(config, files: ConfigLoader.configFiles(in: config.directory), by: actor, at: options.time)
        } catch {
            Terminal.error(error.message)
            throw ExitCode(1)
        }
        Terminal.out("applied config version 1 to \(store.path)\n")
    }
}

/// FIELD=VALUE arguments.
func assignments(_ arguments: [String]) throws -> [(String, String)] {
    try arguments.map { argument in
        guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
            throw ValidationError("'\(argument)' is not FIELD=VALUE")
        }
        return (String(argument[..<eq]), String(argument[argument.index(after: eq)...]))
    }
}

struct CustomerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer",
        abstract: "Add, show, edit and delete customers, as a named user checked against the rules.",
        subcommands: [Add.self, Show.self, Edit.self, Delete.self, Follow.self, Unfollow.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate and store a new customer; prints its id.")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
        @Option(help: "individual, organization or work_order") var table: String
        @Option(help: "A package of that table.") var package: String?
        @Option(help: "The team (when the user belongs to several).") var team: String?
        @Argument(help: "FIELD=VALUE pairs (account_executive=USER names another owner).") var values: [String] = []

        func run() throws {
            guard let kind = TableKind(rawValue: table) else {
                throw ValidationError("there is no table '\(table)'; the tables are \(TableKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let pairs = try assignments(values)
            let (config, store) = try options.open(writer: "clientele customer add")
            do {
                let id = try CustomerOperations(config: config, store: store)
                    .add(as: actor, team: team, table: kind, package: package, assignments: pairs, time: options.time)
                Terminal.out(id + "\n")
            } catch { throw StoreOptions.fail(error) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a customer as the user may see it (JSON).")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
        @Argument(help: "The customer's id.") var id: String

        func run() throws {
            let (config, store) = try options.open(writer: nil)
            do {
                Terminal.out(try CustomerOperations(config: config, store: store).show(as: actor, id: id).jsonText + "\n")
            } catch { throw StoreOptions.fail(error) }
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change fields (FIELD=VALUE; FIELD= clears); logged with each change.")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
        @Argument(help: "The customer's id.") var id: String
        @Argument(help: "FIELD=VALUE pairs.") var values: [String] = []

        func run() throws {
            let pairs = try assignments(values)
            let (config, store) = try options.open(writer: "clientele customer edit")
            do {
                try CustomerOperations(config: config, store: store).edit(as: actor, id: id, assignments: pairs, time: options.time)
            } catch { throw StoreOptions.fail(error) }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a customer (logged).")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
        @Argument(help: "The customer's id.") var id: String

        func run() throws {
            let (config, store) = try options.open(writer: "clientele customer delete")
            do {
                try CustomerOperations(config: config, store: store).delete(as: actor, id: id, time: options.time)
            } catch { throw StoreOptions.fail(error) }
        }
    }
}

extension CustomerCommand {
    struct Follow: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add customers to the user's followed list.")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
        @Argument(help: "Customer ids.") var ids: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele customer follow")
            do { try CustomerOperations(config: config, store: store).follow(as: actor, ids: ids, following: true, time: options.time) } catch { throw StoreOptions.fail(error) }
        }
    }

    struct Unfollow: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove customers from the user's followed list.")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
        @Argument(help: "Customer ids.") var ids: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele customer unfollow")
            do { try CustomerOperations(config: config, store: store).follow(as: actor, ids: ids, following: false, time: options.time) } catch { throw StoreOptions.fail(error) }
        }
    }
}

/// `--users a,b` style lists.
func commaList(_ text: String?) -> [String] {
    (text ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

struct ShareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "share", abstract: "Share customers (additive; several ids make a batch share).")
    @OptionGroup var options: StoreOptions
    @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
    @Argument(help: "Customer ids.") var ids: [String]
    @Option(help: "Users, comma-separated.") var users: String?
    @Option(help: "Departments, comma-separated (their sub-departments share too).") var departments: String?
    @Option(help: "Roles, comma-separated.") var roles: String?

    func run() throws {
        let (config, store) = try options.open(writer: "clientele share")
        do {
            try CustomerOperations(config: config, store: store).share(as: actor, ids: ids, users: commaList(users), departments: commaList(departments),
                                                                       roles: commaList(roles), time: options.time)
        } catch { throw StoreOptions.fail(error) }
    }
}

struct UnshareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unshare", abstract: "Cancel sharing of customers: --all, or the users, departments and roles named.")
    @OptionGroup var options: StoreOptions
    @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
    @Argument(help: "Customer ids.") var ids: [String]
    @Flag(help: "Cancel all sharing.") var all = false
    @Option(help: "Users, comma-separated.") var users: String?
    @Option(help: "Departments, comma-separated.") var departments: String?
    @Option(help: "Roles, comma-separated.") var roles: String?

    func run() throws {
        let (config, store) = try options.open(writer: "clientele unshare")
        do {
            try CustomerOperations(config: config, store: store).unshare(as: actor, ids: ids, all: all, users: commaList(users),
                                                                         departments: commaList(departments), roles: commaList(roles), time: options.time)
        } catch { throw StoreOptions.fail(error) }
    }
}

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Overwrite (set) or add tags.", subcommands: [Set.self, Add.self])

    /// `ID... TAG...`: the leading arguments that name stored customers, or that are
    /// shaped like a customer number of one of the config's tables, are ids; the rest tags.
    static func split(_ arguments: [String], _ store: JSONFileStore, _ config: CompiledConfig) -> ([String], [String]) {
        let numberings = TableKind.allCases.map { config.model.schema.numbering(for: $0) }
        func looksLikeId(_ s: String) -> Bool {
            numberings.contains { n in
                s.hasPrefix(n.prefix) && s.count == n.prefix.count + n.digits && s.dropFirst(n.prefix.count).allSatisfy(\.isNumber)
            }
        }
        let ids = Array(arguments.prefix { store.contains($0) || looksLikeId($0) })
        return (ids, Array(arguments.dropFirst(ids.count)))
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the tags of customers: tag set ID... TAG...")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
        @Argument(help: "Customer ids, then tags.") var arguments: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele tag set")
            let (ids, tags) = TagCommand.split(arguments, store, config)
            do { try CustomerOperations(config: config, store: store).tag(as: actor, ids: ids, tags: tags, overwrite: true, time: options.time) } catch { throw StoreOptions.fail(error) }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add tags to customers: tag add ID... TAG...")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("as"), help: "The user who acts.") var actor: String
        @Argument(help: "Customer ids, then tags.") var arguments: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele tag add")
            let (ids, tags) = TagCommand.split(arguments, store, config)
            guard !tags.isEmpty else { throw StoreOptions.fail(.invalid(["name at least one tag after the customer ids"])) }
            do { try CustomerOperations(config: config, store: store).tag(as: actor, ids: ids, tags: tags, overwrite: false, time: options.time) } catch { throw StoreOptions.fail(error) }
        }
    }
}
