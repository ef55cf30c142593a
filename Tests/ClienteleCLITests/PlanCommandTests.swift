import ClienteleTestSupport
import Foundation
import Testing

/// plan and apply around the plan itself: saved plans, confirmations, exit codes,
/// JSON, history and rollback refusals.
@Suite("plan, apply, history and rollback")
struct PlanCommandTests {
    static let now = "2026-12-01T00:00:00Z"

    func run(_ dir: URL, _ arguments: [String]) throws -> CLIRun {
        try CLI.run(arguments + ["--config", dir.path, "--now", Self.now])
    }

    /// The seeded store with `grade` renamed to `tier` in the config, not yet applied.
    func changed() throws -> URL {
        let dir = try PlanScenarioTests.seededStore()
        try PlanScenarioTests.useConfig(
            PlanScenarioTests.root.appendingPathComponent("field-renamed-and-rolled-back/1"), in: dir)
        return dir
    }

    @Test("without changes plan says so and exits 0, also with --detailed-exitcode")
    func noChanges() throws {
        let dir = try PlanScenarioTests.seededStore()
        for arguments in [["plan"], ["plan", "--detailed-exitcode"], ["apply", "--dry-run", "--detailed-exitcode"]] {
            let plan = try run(dir, arguments)
            #expect(plan.exitCode == 0, "\(arguments)")
            #expect(plan.stdout == "No changes: the config is version 1, the one applied.\n")
        }
        let apply = try run(dir, ["apply", "--as", "carol"])
        #expect(apply.exitCode == 0 && apply.stdout.contains("Nothing to apply"))
    }

    @Test("before the first apply, plan says that apply creates the store")
    func noStore() throws {
        let dir = try CLI.temporaryDirectory()
        try PlanScenarioTests.useConfig(PlanScenarioTests.root.appendingPathComponent("base"), in: dir)
        let plan = try run(dir, ["plan", "--detailed-exitcode"])
        #expect(plan.exitCode == 2)
        #expect(plan.stdout.contains("'clientele apply' creates it"))
        #expect(
            !FileManager.default.fileExists(atPath: dir.appendingPathComponent(".store").path), "plan writes nothing")
    }

    @Test("--format json is one document with the changes, the impact and the hashes; --detailed-exitcode exits 2")
    func json() throws {
        let dir = try changed()
        let plan = try run(dir, ["plan", "--format", "json", "--detailed-exitcode"])
        #expect(plan.exitCode == 2, "\(plan.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
        for key in ["changes", "data_impact", "access_impact", "pool_impact", "errors", "config_hash", "data_hash"] {
            #expect(document[key] != nil, "missing \(key)")
        }
        let changes = try #require(document["changes"] as? [[String: Any]])
        #expect(
            changes.first?["kind"] as? String == "renamed" && changes.first?["id"] as? String == "sales/individual/tier"
        )
        let rewritten = (document["data_impact"] as? [String: Any])?["rewritten"] as? [[String: Any]]
        #expect(rewritten?.first?["count"] as? Int == 4)
    }

    /// Runs apply on a pseudo-terminal (script(1)) and types `answer` at its prompt.
    func applyOnTerminal(_ dir: URL, answer: String) throws -> (Int32, String) {
        let command = [CLI.binary.path, "apply", "--as", "carol", "--config", dir.path, "--now", Self.now].map {
            "'\($0)'"
        }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        process.environment = ProcessInfo.processInfo.environment.merging(CLI.environment) { $1 }
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data((answer + "\n").utf8))
        let shown = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, shown)
    }

    @Test(
        "on a terminal apply asks, and applies only on 'yes'",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
    func prompt() throws {
        let dir = try changed()
        let (declined, no) = try applyOnTerminal(dir, answer: "no")
        #expect(declined == 1 && no.contains("Type 'yes' to apply:") && no.contains("Nothing was applied."), "\(no)")
        let (accepted, yes) = try applyOnTerminal(dir, answer: "yes")
        #expect(accepted == 0 && yes.contains("applied config version 2"), "\(yes)")
    }

    @Test("with no terminal to ask on, apply needs --yes, and changes nothing without it")
    func confirmation() throws {
        let dir = try changed()
        let refused = try run(dir, ["apply", "--as", "carol"])
        #expect(refused.exitCode == 1)
        #expect(
            refused.stderr.contains("run 'clientele apply --config \(dir.path) --as carol --yes'"), "\(refused.stderr)")
        #expect(try run(dir, ["history", "--format", "json"]).stdout.contains(#""version":1"#))
        #expect(!(try run(dir, ["history", "--format", "json"]).stdout.contains(#""version":2"#)))
    }

    @Test("apply --plan applies a saved plan, and refuses one made before the config or the data changed")
    func savedPlan() throws {
        let dir = try changed()
        let saved = dir.appendingPathComponent("plan.json").path
        #expect(try run(dir, ["plan", "--out", saved]).exitCode == 0)
        // The data changes: the plan is stale.
        #expect(try run(dir, ["customer", "add", "--as", "carol", "--table", "individual", "name=New"]).exitCode == 0)
        let stale = try run(dir, ["apply", "--as", "carol", "--plan", saved])
        #expect(
            stale.exitCode == 1 && stale.stderr.contains("the stored data changed since the plan"), "\(stale.stderr)")
        // A fresh plan, then the config changes.
        #expect(try run(dir, ["plan", "--out", saved]).exitCode == 0)
        let schema = dir.appendingPathComponent("schema.yaml")
        try (try String(contentsOf: schema, encoding: .utf8)).replacingOccurrences(
            of: "display: Tier", with: "display: Level of service"
        )
        .write(to: schema, atomically: true, encoding: .utf8)
        let edited = try run(dir, ["apply", "--as", "carol", "--plan", saved])
        #expect(edited.exitCode == 1 && edited.stderr.contains("the config changed since the plan"), "\(edited.stderr)")
        #expect(try run(dir, ["plan", "--out", saved]).exitCode == 0)
        let applied = try run(dir, ["apply", "--as", "carol", "--plan", saved])
        #expect(applied.exitCode == 0 && applied.stdout.contains("applied config version 2"), "\(applied.stderr)")
        let notAPlan = try run(dir, ["apply", "--as", "carol", "--plan", schema.path])
        #expect(notAPlan.exitCode == 1 && notAPlan.stderr.contains("is not a plan saved by 'clientele plan --out'"))
    }

    @Test("every log entry apply writes names the version; history lists versions; rollback refuses an unknown one")
    func historyAndRollback() throws {
        let dir = try changed()
        #expect(try run(dir, ["apply", "--as", "carol", "--yes"]).exitCode == 0)
        let log = try run(dir, ["log", "P000001", "--type", "apply", "--format", "json", "--as", "carol"])
        #expect(log.exitCode == 0)
        #expect(log.stdout.contains(#""config_version":2"#), "\(log.stdout)")
        let history = try run(dir, ["history", "--format", "json"])
        let versions =
            ((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["versions"]
                as? [[String: Any]]) ?? []
        #expect(versions.compactMap { $0["version"] as? Int } == [1, 2])
        let unknown = try run(dir, ["rollback", "7", "--as", "carol", "--yes"])
        #expect(
            unknown.exitCode == 1
                && unknown.stderr.contains("there is no config version 7; this store holds versions 1 to 2"),
            "\(unknown.stderr)")
        let dry = try run(dir, ["rollback", "1", "--dry-run"])
        #expect(dry.exitCode == 0 && dry.stdout.contains("Plan: config version 2 -> 3"))
        #expect(try run(dir, ["history", "--format", "json"]).stdout.contains(#""version":2"#))
    }

    @Test("a config that does not compile is reported with its location, and nothing is planned")
    func invalidConfig() throws {
        let dir = try PlanScenarioTests.seededStore()
        let schema = dir.appendingPathComponent("schema.yaml")
        try (try String(contentsOf: schema, encoding: .utf8)).replacingOccurrences(
            of: "type: select", with: "type: selct"
        )
        .write(to: schema, atomically: true, encoding: .utf8)
        let plan = try run(dir, ["plan"])
        #expect(plan.exitCode == 1)
        #expect(plan.stderr.contains("schema.yaml:"), "\(plan.stderr)")
        #expect(plan.stdout.isEmpty)
    }
}
