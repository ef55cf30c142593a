import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Check the store's files, and cut out damaged batches (into backups/).",
        subcommands: [Verify.self, Repair.self])

    /// The config's store, which must exist.
    static func directory(_ options: ConfigOptions) throws -> ConfigDirectory {
        let directory = try options.directory()
        guard directory.storeExists else {
            Terminal.error(
                "no store yet at \(directory.storePath): run 'clientele apply' to create it from the config directory")
            throw ExitCode(1)
        }
        return directory
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Check every segment, batch checksum, stored line and the access columns (exit 0 clean, 1 otherwise); changes nothing."
        )
        @OptionGroup var options: ConfigOptions
        @Option(help: "text or json") var format: OutputFormat = .text

        func run() throws {
            // The access columns are compared with the documents only over a whole log.
            let check = try StoreCommand.directory(options).verifyStore()
            let problems = check.problems
            switch format {
            case .json:
                Terminal.out(
                    JSONValue.object([
                        ("ok", .bool(problems.isEmpty)), ("segments", .number(String(check.segments))),
                        ("batches", .number(String(check.batches))),
                        ("unchecked_batches", .number(String(check.unchecked))),
                        ("documents", .number(String(check.documents))),
                        ("uncommitted_bytes", .number(String(check.uncommittedBytes))),
                        (
                            "problems",
                            .array(
                                problems.map {
                                    .object([
                                        ("file", .string($0.file)), ("line", .number(String($0.line))),
                                        ("message", .string($0.message)),
                                    ])
                                })
                        ),
                    ]).jsonText + "\n")
            case .text:
                for problem in problems { Terminal.out(problem.description + "\n") }
                var summary =
                    "\(check.segments) segment\(check.segments == 1 ? "" : "s"), \(check.batches) committed batch\(check.batches == 1 ? "" : "es"), \(check.documents) document\(check.documents == 1 ? "" : "s")"
                if check.unchecked > 0 {
                    summary += "; \(check.unchecked) written before checksums (lines checked, bytes not)"
                }
                if check.uncommittedBytes > 0 {
                    summary += "; \(check.uncommittedBytes) bytes after the last commit, which the next writer cuts off"
                }
                Terminal.out(
                    summary
                        + (problems.isEmpty
                            ? ": the store is whole\n"
                            : "; \(problems.count) problem\(problems.count == 1 ? "" : "s"): \(Self.remedy(problems))\n")
                )
            }
            if !problems.isEmpty { throw ExitCode(1) }
        }

        /// What to do: repair cuts damaged batches out, but cannot rebuild a config version's file.
        static func remedy(_ problems: [StoreCheck.Problem]) -> String {
            let versions = problems.filter { $0.file.contains("/versions/") }.count
            let repair = "'clientele store repair' cuts damaged batches out"
            let restore = "put back the changed version file from a copy of the store (repair cannot rebuild it)"
            return versions == 0 ? repair : versions == problems.count ? restore : repair + "; " + restore
        }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Cut damaged batches out of the log (writing them to backups/ first), close gaps of missing segments, and drop index/."
        )
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let directory = try StoreCommand.directory(options)
            let path = directory.storePath
            let repair = try directory.repairStore(time: Timestamp.now())
            if let backup = repair.backup { Terminal.out("kept what is cut in \(backup)\n") }
            for line in repair.cut { Terminal.out("cut \(line)\n") }
            for line in repair.renamed { Terminal.out("renamed \(line) (the missing segment's batches are lost)\n") }
            if !repair.retired.isEmpty {
                Terminal.out(
                    "retired the ids of the customers in what was cut: \(repair.retired.joined(separator: ", "))\n")
            }
            if let n = repair.rerecorded {
                Terminal.out("recorded config version \(n) as applied again (versions/: its own entry was cut)\n")
            }
            if repair.removedIndex { Terminal.out("removed \(path)/index (a cache: the next command rebuilds it)\n") }
            if repair.cut.isEmpty && repair.renamed.isEmpty && !repair.removedIndex && repair.rerecorded == nil {
                Terminal.out("nothing to repair\n")
            }
            let after = directory.verifyLog()
            if !after.problems.isEmpty {
                for problem in after.problems { Terminal.error(problem.description) }
                throw ExitCode(1)
            }
        }
    }
}
