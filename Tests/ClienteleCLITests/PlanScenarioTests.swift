import ClienteleTestSupport
import Foundation
import Testing

/// Config changes applied one after another to a seeded store, each scenario's
/// plans, applies and follow-up commands compared with its golden transcript.
///
/// A scenario is a folder under `Scenarios/`: `scenario.txt` lists its steps, and
/// each numbered folder holds files that replace the base config's for `config N`.
/// Every store starts as version 1 of `Scenarios/base` with `Scenarios/seed.jsonl`
/// imported, on 2026-09-01; the steps run on 2026-12-01.
@Suite("Plan and apply scenarios")
struct PlanScenarioTests {
    static let root = CLI.testsDirectory.appendingPathComponent("Scenarios")

    static let names: [String] = {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return all.filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent($0 + "/scenario.txt").path)
        }.sorted()
    }()

    /// A store at version 1 of the base config, with the seed imported.
    static func seededStore() throws -> URL {
        let dir = try CLI.temporaryDirectory()
        try useConfig(root.appendingPathComponent("base"), in: dir)
        let seeded = "2026-09-01T00:00:00Z"
        let applied = try CLI.run(["apply", "--as", "carol", "--config", dir.path, "--now", seeded])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        let imported = try CLI.run([
            "import", root.appendingPathComponent("seed.jsonl").path, "--as", "carol", "--config", dir.path, "--now",
            seeded,
        ])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        return dir
    }

    /// Copies a folder's YAML files over the config in `dir`.
    static func useConfig(_ folder: URL, in dir: URL) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let target = dir.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: folder.appendingPathComponent(name), to: target)
        }
    }

    /// A parameterised test over no folders would pass: the folders must be there.
    @Test("the scenario folders are found")
    func scenariosFound() {
        #expect(Self.names.count >= 11, "found \(Self.names) in \(Self.root.path)")
    }

    @Test("each scenario's plans and applies match its golden transcript", arguments: names)
    func scenario(_ name: String) throws {
        let folder = Self.root.appendingPathComponent(name)
        let dir = try Self.seededStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let steps = try String(contentsOf: folder.appendingPathComponent("scenario.txt"), encoding: .utf8)
        var transcript = ""
        for line in steps.split(separator: "\n").map(String.init) where !line.isEmpty {
            if line.hasPrefix("#") {
                transcript += line + "\n"
            } else if line.hasPrefix("config ") {
                try Self.useConfig(Self.root.appendingPathComponent("base"), in: dir)
                try Self.useConfig(folder.appendingPathComponent(String(line.dropFirst(7))), in: dir)
                transcript += "\n== " + line + "\n"
            } else {
                let arguments = line.split(separator: " ").map(String.init)
                let run = try CLI.run(arguments + ["--config", dir.path, "--now", "2026-12-01T00:00:00Z"])
                let shown = CLIRun(
                    exitCode: run.exitCode, stdout: run.stdout.replacingOccurrences(of: dir.path, with: "<dir>"),
                    stderr: run.stderr.replacingOccurrences(of: dir.path, with: "<dir>"))
                transcript += "\n" + shown.transcript(arguments)
            }
        }
        expectGolden(transcript, named: "scenario-" + name)
    }
}
