import ClienteleTestSupport
import Foundation
import Testing

/// kill -9 at random instants during `apply`: the store is always at the old
/// version or at the new one, with every document migrated or none.
/// CLIENTELE_APPLY_KILLS sets how many kills (default 30; .ci/run: 200).
@Suite("apply survives kill -9", .serialized)
struct ApplyDurabilityTests {
    /// The two configs apply switches between: `grade` and option `A` (the base), or
    /// `tier` and option `Alpha`, each renamed from the other with `was:`.
    static func schema(renamed: Bool) throws -> String {
        let base = try String(
            contentsOf: PlanScenarioTests.root.appendingPathComponent("base/schema.yaml"), encoding: .utf8)
        guard renamed else { return base }
        return base.replacingOccurrences(of: "identity: grade", with: "identity: tier\n    was: grade")
            .replacingOccurrences(of: "options: [A, B, C]", with: "options: [{value: Alpha, was: [A]}, B, C]")
    }

    struct State: Equatable {
        var version: Int
        var renamed: Bool
    }

    /// The applied version and whether every document has the renamed form (nil: a mix).
    static func read(_ dir: URL) throws -> (version: Int, renamed: Bool?) {
        let history = try CLI.run(["history", "--format", "json", "--config", dir.path])
        #expect(history.exitCode == 0, "\(history.stderr)")
        let versions =
            ((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["versions"]
                as? [[String: Any]]) ?? []
        let version = versions.last?["version"] as? Int ?? 0
        let listed = try CLI.run(["customer", "list", "--as", "carol", "--format", "json", "--config", dir.path])
        #expect(listed.exitCode == 0, "the store is readable: \(listed.stderr)")
        let documents = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]) ?? []
        let forms = Set(
            documents.map { doc -> Bool in
                let fields = doc["fields"] as? [String: Any] ?? [:]
                return fields["tier"] != nil || fields["level"] as? String == "Alpha"
            })
        // Records with neither a grade nor level A read the same in both forms.
        let marked = documents.filter { doc in
            let fields = doc["fields"] as? [String: Any] ?? [:]
            return fields["grade"] != nil || fields["tier"] != nil
        }
        #expect(!marked.isEmpty)
        let renamed = Set(marked.map { ($0["fields"] as? [String: Any] ?? [:])["tier"] != nil })
        let levels = Set(
            documents.compactMap { ($0["fields"] as? [String: Any] ?? [:])["level"] as? String }.filter {
                $0 == "A" || $0 == "Alpha"
            })
        guard renamed.count == 1, levels.count <= 1, forms.count >= 1 else { return (version, nil) }
        let isRenamed = renamed.first!
        if let level = levels.first, (level == "Alpha") != isRenamed { return (version, nil) }
        return (version, isRenamed)
    }

    @Test("kill -9 at random instants leaves the old version or the new one, never a mix")
    func kills() throws {
        let kills = ProcessInfo.processInfo.environment["CLIENTELE_APPLY_KILLS"].flatMap(Int.init) ?? 30
        var rng = SplitMix(state: 20_261_203)
        let dir = try PlanScenarioTests.seededStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 300 more customers, so that apply has documents to migrate for a while.
        let extra = dir.appendingPathComponent("more.jsonl")
        let lines = (0..<300).map { i in
            #"{"team":"sales","table":"individual","account_executive":"bob","fields":{"name":"Row \#(i)","level":"A","grade":"g\#(i)"}}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(to: extra, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["import", extra.path, "--as", "carol", "--config", dir.path]).exitCode == 0)
        var state = State(version: 1, renamed: false)
        var killed = 0
        var completed = 0
        var landedNew = 0
        while killed < kills {
            try Self.schema(renamed: !state.renamed).write(
                to: dir.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
            let (process, out) = try StoreDurabilityTests.start([
                "apply", "--yes", "--as", "carol", "--config", dir.path,
            ])
            usleep(UInt32.random(in: 0..<120_000, using: &rng))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: out)
            let acknowledged = process.terminationReason == .exit && process.terminationStatus == 0
            if acknowledged { completed += 1 }
            let (version, renamed) = try Self.read(dir)
            let next = State(version: state.version + 1, renamed: !state.renamed)
            #expect(renamed != nil, "after \(killed) kills the documents are a mix of both versions")
            let now = State(version: version, renamed: renamed ?? state.renamed)
            #expect(
                now == state || now == next,
                "expected version \(state.version) or \(next.version), found \(version) (renamed: \(String(describing: renamed)))"
            )
            if acknowledged { #expect(now == next, "an acknowledged apply is lost") }
            if now == next && !acknowledged { landedNew += 1 }
            guard renamed != nil else { break }
            state = now
        }
        print(
            "apply crash test: \(killed) kills, \(completed) applies completed, \(landedNew) killed after their commit; at version \(state.version)"
        )
        #expect(killed >= kills)
    }
}
