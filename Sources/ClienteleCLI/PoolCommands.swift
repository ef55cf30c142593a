import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

extension CustomerCommand {
    struct Followup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a follow-up (and a deal won or lost): the clocks of the pool's automatic return.")
        @OptionGroup var options: ActingOptions
        @Argument(help: "The customer's id.") var id: String
        @Option(help: "What happened.") var note: String
        @Option(help: "won or lost") var deal: String?

        func run() throws {
            let (config, store) = try options.open(writer: "clientele customer followup")
            try CustomerOperations(config: config, store: store).followup(
                as: options.actor, id: id, note: note, deal: deal, time: options.time)
        }
    }
}

struct PoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Return customers to the pool, claim and assign them, and run the automatic return.",
        subcommands: [Return.self, Claim.self, Assign.self, Sweep.self])

    struct Return: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Return customers to the pool that receives their account executive's customers.")
        @OptionGroup var options: ActingOptions
        @Argument(help: "Customer ids.") var ids: [String]
        @Option(help: "One of the pool's reasons.") var reason: String?

        func run() throws {
            let (config, store) = try options.open(writer: "clientele pool return")
            let returned = try CustomerOperations(config: config, store: store).returnToPool(
                as: options.actor, ids: ids, reason: reason, time: options.time)
            for (pool, items) in Dictionary(grouping: returned, by: \.pool).sorted(by: { $0.key < $1.key }) {
                Done.say("returned \(Done.list(items.map(\.id))) to pool '\(pool)'")
            }
        }
    }

    struct Claim: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claim customers from their pool, within its limits (exit 3 names the limit).")
        @OptionGroup var options: ActingOptions
        @Argument(help: "Customer ids.") var ids: [String]

        func run() throws {
            let (config, store) = try options.open(writer: "clientele pool claim")
            let claimed = try CustomerOperations(config: config, store: store).claim(
                as: options.actor, ids: ids, time: options.time)
            Done.say("\(options.actor) claimed \(Done.list(claimed)) and is now the account executive")
        }
    }

    struct Assign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give pool customers to a user (pool admins).")
        @OptionGroup var options: ActingOptions
        @Argument(help: "Customer ids.") var ids: [String]
        @Option(help: "The new account executive.") var to: String

        func run() throws {
            let (config, store) = try options.open(writer: "clientele pool assign")
            let assigned = try CustomerOperations(config: config, store: store).assign(
                as: options.actor, ids: ids, to: to, time: options.time)
            Done.say("assigned \(Done.list(assigned)) to \(to)")
        }
    }

    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Return the customers the pools' automatic return says are due, and list the owners' warnings; --dry-run only lists."
        )
        @OptionGroup var options: StoreOptions
        @Flag(help: "List what the sweep would do, and do nothing.") var dryRun = false
        @Option(
            name: .customLong("as"),
            help: "The user who sweeps: the pools they may 'sweep' (admins, the pool's admins) are swept.") var actor:
            String
        @Option(help: "text or json") var format: OutputFormat = .text

        func run() throws {
            let realNow = Date()
            let now = options.seconds
            // Only a dry run may look ahead: a sweep returns customers that are due now.
            if !dryRun, now > realNow.timeIntervalSince1970 + 1 {
                Terminal.error(
                    "--now \(options.time) is later than the clock; only 'pool sweep --dry-run' may look ahead")
                throw ExitCode(1)
            }
            let (config, store) = try options.open(writer: dryRun ? nil : "clientele pool sweep", actor: actor)
            let operations = CustomerOperations(config: config, store: store)
            let sweep = try PoolSweep.plan(operations, as: actor, now: now)
            Terminal.out(format == .json ? Self.json(sweep, dryRun: dryRun) : Self.text(sweep, dryRun: dryRun))
            if !dryRun {
                try sweep.run(operations, actor: actor, time: Timestamp.format(realNow.timeIntervalSince1970))
            }
        }

        static func day(_ seconds: Double) -> String { Timestamp.day(seconds) }

        /// Per account executive: what returns and what is warned.
        static func text(_ sweep: PoolSweep, dryRun: Bool) -> String {
            var lines: [String: [String]] = [:]
            for item in sweep.returns {
                lines[item.accountExecutive, default: []].append(
                    "  \(dryRun ? "would return" : "returns") \(item.id) to pool '\(item.pool)': \(item.rule) \(item.days), due \(day(item.at))\n"
                )
            }
            for item in sweep.warnings {
                lines[item.accountExecutive, default: []].append(
                    "  warning: \(item.id) returns to pool '\(item.pool)' on \(day(item.at)) (\(item.rule) \(item.days))\n"
                )
            }
            var out = ""
            for (owner, items) in lines.sorted(by: { $0.key < $1.key }) {
                out += "\(owner):\n" + items.joined()
            }
            out +=
                "\(sweep.returns.count) customer\(sweep.returns.count == 1 ? "" : "s") \(dryRun ? "would be returned" : "returned"), \(sweep.warnings.count) warning\(sweep.warnings.count == 1 ? "" : "s")\n"
            return out
        }

        static func json(_ sweep: PoolSweep, dryRun: Bool) -> String {
            func items(_ list: [PoolSweep.Item]) -> JSONValue {
                .array(
                    list.map {
                        .object([
                            ("id", .string($0.id)), ("account_executive", .string($0.accountExecutive)),
                            ("pool", .string($0.pool)),
                            ("rule", .string($0.rule)), ("days", .number(String($0.days))),
                            ("due", .string(day($0.at))),
                        ])
                    })
            }
            return JSONValue.object([
                ("dry_run", .bool(dryRun)), ("returns", items(sweep.returns)), ("warnings", items(sweep.warnings)),
            ]).jsonText + "\n"
        }
    }
}
