import ClienteleTestSupport
import Foundation
import Testing

/// kill -9 during mass operations, through the built binary: a mass edit (`customer
/// edit --where`), a mass transfer and an upsert import (`import --update`) each store
/// every customer's change or none. CLIENTELE_MASS_ROWS sets how many customers (default
/// 2,000; the long run 100,000), CLIENTELE_MASS_KILLS how many kills per operation
/// (default 4).
@Suite("Mass operations are all or nothing under kill -9", .serialized)
struct MassDurabilityTests {
    @Test("kill -9 during a mass edit, a mass transfer or an upsert import leaves every customer changed or none")
    func massKills() throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["CLIENTELE_MASS_ROWS"].flatMap(Int.init) ?? 2_000
        let kills = environment["CLIENTELE_MASS_KILLS"].flatMap(Int.init) ?? 4
        var rng = SplitMix(state: 20_261_205)
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        #expect(try CLI.run(["apply", "--config", dir.path, "--as", "carol"]).exitCode == 0)
        let seed = dir.appendingPathComponent("seed.csv")
        try ("name,level\n" + (0..<count).map { "Row \($0),A\n" }.joined()).write(
            to: seed, atomically: true, encoding: .utf8)
        let seeded = try CLI.run([
            "import", seed.path, "--table", "individual", "--as", "carol", "--config", dir.path,
        ])
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")
        let ids = (1...count).map { String(format: "P%06d", $0) }

        /// Every customer's level and owner, read back after a kill.
        func state() throws -> (levels: Set<String>, owners: Set<String>, count: Int) {
            let listed = try CLI.run(["customer", "list", "--as", "carol", "--format", "json", "--config", dir.path])
            #expect(listed.exitCode == 0, "the store is readable: \(listed.stderr)")
            let documents = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]) ?? []
            return (
                Set(documents.compactMap { ($0["fields"] as? [String: Any])?["level"] as? String }),
                Set(documents.compactMap { $0["account_executive"] as? String }), documents.count
            )
        }
        /// Runs the operation once unkilled (to learn how long it takes), then kills it
        /// at random instants; after each, the store holds the change everywhere or nowhere.
        func attack(
            _ name: String, _ make: (Int) throws -> [String],
            read: ((levels: Set<String>, owners: Set<String>, count: Int)) -> Set<String>
        ) throws {
            var round = 0
            let started = Date()
            let first = try CLI.run(try make(round) + ["--config", dir.path])
            #expect(first.exitCode == 0, "\(name): \(first.stderr)")
            let duration = Date().timeIntervalSince(started)
            var killed = 0
            var acknowledged = 0
            while killed < kills && round < kills * 4 {
                round += 1
                let (process, _) = try StoreDurabilityTests.start(try make(round) + ["--config", dir.path])
                usleep(UInt32(Double.random(in: 0.05..<1, using: &rng) * duration * 1_000_000))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    killed += 1
                }
                process.waitUntilExit()
                if process.terminationReason == .exit && process.terminationStatus == 0 { acknowledged += 1 }
                let now = try state()
                #expect(now.count == count, "\(name): customers lost")
                #expect(read(now).count == 1, "\(name) is half-applied after round \(round): \(read(now))")
            }
            print(
                "mass kill test: \(name): \(count) customers, \(killed) kills, \(acknowledged) acknowledged, \(Int(duration * 1000)) ms a run"
            )
        }
        let levels = ["A", "B", "C"]
        try attack(
            "customer edit --where",
            { round in
                [
                    "customer", "edit", "--where", "true", "level=\(levels[(round + 1) % 3])", "--yes", "--as",
                    "carol",
                ]
            }, read: \.levels)
        try attack(
            "import --update",
            { round in
                let file = dir.appendingPathComponent("update-\(round).csv")
                try ("id,level\n" + ids.map { "\($0),\(levels[(round + 2) % 3])\n" }.joined()).write(
                    to: file, atomically: true, encoding: .utf8)
                return ["import", file.path, "--table", "individual", "--update", "--as", "carol"]
            }, read: \.levels)
        let owners = ["bob", "dora"]
        try attack(
            "customer transfer --where",
            { round in
                ["customer", "transfer", "--where", "true", "--to", owners[round % 2], "--yes", "--as", "carol"]
            }, read: \.owners)
    }
}
