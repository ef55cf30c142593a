import ClienteleTestSupport
import Foundation
import Testing

/// kill -9 at random instants during writes, writers racing each other, and bytes
/// changed or cut on disk, through the built binary. CLIENTELE_KILLS sets how many
/// kills (default 50; .ci/run: 300), CLIENTELE_CORRUPTIONS how many damaged copies (default 10; .ci/run: 100).
@Suite("The store survives kill -9 and concurrent writers", .serialized)
struct StoreDurabilityTests {
    /// Starts the binary; returns the process and the file its stdout goes to.
    static func start(_ arguments: [String]) throws -> (Process, URL) {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(CLI.environment) { _, b in b }
        let out = Scratch.path("out")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    func demo() throws -> URL {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        #expect(try CLI.run(["apply", "--config", dir.path, "--as", "carol"]).exitCode == 0)
        return dir
    }

    @Test("every acknowledged write survives kill -9, and every import is all or nothing")
    func crashes() throws {
        let kills = ProcessInfo.processInfo.environment["CLIENTELE_KILLS"].flatMap(Int.init) ?? 50
        var rng = SplitMix(state: 20_261_123)
        let dir = try demo()
        // A file of 300 customers without ids, each with a marker naming its import.
        func importFile(_ k: Int) throws -> String {
            let path = dir.appendingPathComponent("batch-\(k).jsonl").path
            let lines = (0..<300).map { i in
                #"{"team":"sales","table":"individual","account_executive":"bob","tags":["import-\#(k)"],"fields":{"name":"Row \#(i)"}}"#
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        // Kills land within the time an import takes here, and a little after it: on a
        // slow or busy machine too, some writes are acknowledged and some are not.
        let started = Date()
        let timing = try CLI.run(["import", try importFile(0), "--as", "carol", "--config", dir.path])
        #expect(timing.exitCode == 0, "\(timing.stderr)")
        let window = max(UInt32(250_000), UInt32(Date().timeIntervalSince(started) * 1_500_000))
        var acknowledgedAdds: [String] = []
        /// Every edit issued, in order: customer, value, acknowledged.
        var edits: [(id: String, value: String, acknowledged: Bool)] = []
        var imports: [(tag: String, acknowledged: Bool)] = []
        var killed = 0
        var k = 0
        while killed < kills {
            k += 1
            let kind = Int.random(in: 0..<3, using: &rng)
            var arguments: [String]
            var editValue = ""
            switch kind {
            case 0:
                arguments = ["customer", "add", "--as", "bob", "--table", "individual", "name=Add \(k)"]
            case 1 where !acknowledgedAdds.isEmpty:
                editValue = "Edit \(k)"
                arguments = [
                    "customer", "edit", "--as", "bob", acknowledgedAdds.randomElement(using: &rng)!,
                    "name=\(editValue)",
                ]
            default:
                arguments = ["import", try importFile(k), "--as", "carol"]
            }
            let (process, out) = try Self.start(arguments + ["--config", dir.path])
            usleep(UInt32.random(in: 0..<window, using: &rng))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            let acknowledged = process.terminationReason == .exit && process.terminationStatus == 0
            let output = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: out)
            switch arguments[0] {
            case "customer" where arguments[1] == "add":
                if acknowledged { acknowledgedAdds.append(output.trimmingCharacters(in: .whitespacesAndNewlines)) }
            case "customer":
                edits.append((arguments[4], editValue, acknowledged))
            default:
                imports.append(("import-\(k)", acknowledged))
            }
        }
        // Reopen as a writer once (recovering a torn tail), then read everything back.
        let follow = try CLI.run(
            ["customer", "follow", "--as", "carol", "--config", dir.path] + (acknowledgedAdds.first.map { [$0] } ?? []))
        #expect(follow.exitCode == 0 || acknowledgedAdds.isEmpty, "\(follow.stderr)")
        let all = try CLI.run(["customer", "list", "--as", "carol", "--format", "json", "--config", dir.path])
        #expect(all.exitCode == 0, "the store is readable: \(all.stderr)")
        let documents = (try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]]) ?? []
        let byId = Dictionary(documents.map { ($0["id"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        for id in acknowledgedAdds { #expect(byId[id] != nil, "acknowledged add \(id) is missing") }
        // The name of a customer comes from its last acknowledged edit or a later one
        // (a later edit may be stored although its process was killed before saying so).
        for id in Set(edits.map(\.id)) {
            let mine = edits.filter { $0.id == id }
            guard let last = mine.lastIndex(where: \.acknowledged) else { continue }
            let name = (byId[id]?["fields"] as? [String: Any])?["name"] as? String ?? ""
            #expect(
                mine[last...].contains { $0.value == name },
                "the acknowledged edit of \(id) to \(mine[last].value) is lost: \(name)")
        }
        print(
            "crash test: \(killed) kills; \(acknowledgedAdds.count) adds, \(edits.filter(\.acknowledged).count) of \(edits.count) edits and \(imports.filter(\.acknowledged).count) of \(imports.count) imports acknowledged"
        )
        for (tag, acknowledged) in imports {
            let rows = documents.filter { ($0["tags"] as? [String])?.contains(tag) == true }.count
            #expect(rows == 0 || rows == 300, "import \(tag) is half-applied: \(rows) rows")
            if acknowledged { #expect(rows == 300, "acknowledged import \(tag) is missing") }
        }
        #expect(killed >= kills)
        #expect(
            !acknowledgedAdds.isEmpty && imports.contains { $0.acknowledged } && imports.contains { !$0.acknowledged },
            "the kills landed both before and after acknowledgements")
    }

    @Test("a changed byte before the id index's position is found by store verify, and repair cuts it out")
    func byteBeforeTheIdIndex() throws {
        let dir = try demo()
        for k in 0..<3 {
            #expect(
                try CLI.run([
                    "customer", "add", "--as", "bob", "--table", "individual", "name=Customer \(k)", "level=A",
                    "--config", dir.path,
                ]).exitCode == 0)
        }
        let segment = dir.appendingPathComponent(".clientele/store/data/000001.jsonl")
        var bytes = try Data(contentsOf: segment)
        // Inside the first batch (version 1's apply entry), which the id index was made after.
        #expect(
            FileManager.default.fileExists(atPath: dir.appendingPathComponent(".clientele/store/index/ids.bin").path))
        let at = try #require(bytes.range(of: Data(#""actor":"carol""#.utf8))).lowerBound + 10
        bytes[at] = UInt8(ascii: "k")
        try bytes.write(to: segment)
        let verified = try CLI.run(["store", "verify", "--config", dir.path])
        #expect(verified.exitCode == 1 && verified.stdout.contains("000001.jsonl:"), "\(verified.stdout)")
        let repaired = try CLI.run(["store", "repair", "--config", dir.path])
        #expect(repaired.exitCode == 0, "\(repaired.stdout)\(repaired.stderr)")
        #expect(try CLI.run(["store", "verify", "--config", dir.path]).exitCode == 0)
    }

    /// Opening checks the batches written after the id index's position (`index/ids.bin`);
    /// here each copy goes without it, so opening reads every batch, as on a store
    /// whose index is missing or behind. `byteBeforeTheIdIndex` covers the rest.
    @Test(
        "a changed byte or a cut anywhere in committed batches is found by opening and by verify, never served, and repair leaves a store that opens"
    )
    func corruptions() throws {
        let rounds = ProcessInfo.processInfo.environment["CLIENTELE_CORRUPTIONS"].flatMap(Int.init) ?? 10
        let dir = try demo()
        func run(_ arguments: [String], in config: URL) throws -> CLIRun {
            try CLI.run(arguments + ["--config", config.path])
        }
        for k in 0..<12 {
            #expect(
                try run(
                    ["customer", "add", "--as", "bob", "--table", "individual", "name=Customer \(k)", "level=A"],
                    in: dir
                ).exitCode == 0)
        }
        #expect(try run(["tag", "add", "P000001", "P000002", "P000003", "hot", "--as", "bob"], in: dir).exitCode == 0)
        #expect(try run(["customer", "delete", "--as", "carol", "P000004"], in: dir).exitCode == 0)
        // The access columns are written at the end of the log, as any command that lists customers does.
        let whole = try run(["customer", "list", "--as", "carol", "--format", "json"], in: dir)
        #expect(whole.exitCode == 0)
        #expect(try run(["store", "verify"], in: dir).exitCode == 0)
        let segment = ".clientele/store/data/000001.jsonl"
        let original = try Data(contentsOf: dir.appendingPathComponent(segment))
        var random = SplitMix(state: 20_261_203)
        var flips = 0
        var cuts = 0
        for round in 0..<rounds {
            let copy = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: copy) }
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
                try FileManager.default.copyItem(
                    at: dir.appendingPathComponent(name), to: copy.appendingPathComponent(name))
            }
            var damaged = original
            let at = Int(random.next() % UInt64(original.count))
            let what: String
            if round % 4 == 3 {
                damaged = damaged.prefix(at)
                what = "cut at byte \(at)"
                cuts += 1
            } else {
                var byte = damaged[at]
                while byte == damaged[at] { byte = UInt8(truncatingIfNeeded: random.next()) }
                damaged[at] = byte
                what = "byte \(at) \(original[at]) -> \(byte)"
                flips += 1
            }
            try damaged.write(to: copy.appendingPathComponent(segment))
            try? FileManager.default.removeItem(at: copy.appendingPathComponent(".clientele/store/index/ids.bin"))
            let listed = try run(["customer", "list", "--as", "carol", "--format", "json"], in: copy)
            #expect(
                listed.exitCode == 1 && listed.stderr.contains("damaged"),
                "\(what): served \(listed.stdout.prefix(200)) \(listed.stderr)")
            let added = try run(["customer", "add", "--as", "bob", "--table", "individual", "name=After"], in: copy)
            #expect(added.exitCode == 1, "\(what): a writer went on: \(added.stdout)")
            #expect(
                try Data(contentsOf: copy.appendingPathComponent(segment)) == damaged,
                "\(what): the damaged log was changed before repair")
            let verified = try run(["store", "verify"], in: copy)
            #expect(
                verified.exitCode == 1 && verified.stdout.contains("000001.jsonl"),
                "\(what): verify said \(verified.stdout)")
            let repaired = try run(["store", "repair"], in: copy)
            #expect(repaired.exitCode == 0, "\(what): \(repaired.stdout) \(repaired.stderr)")
            let backups =
                (try? FileManager.default.contentsOfDirectory(
                    atPath: copy.appendingPathComponent(".clientele/store/backups").path)) ?? []
            if round % 4 != 3 {
                #expect(backups.contains { $0.hasPrefix("repair-") }, "\(what): nothing kept in backups/")
            }
            let after = try run(["customer", "list", "--as", "carol", "--format", "json"], in: copy)
            #expect(after.exitCode == 0, "\(what): after repair: \(after.stderr)")
            #expect(
                try run(["customer", "add", "--as", "bob", "--table", "individual", "name=After"], in: copy).exitCode
                    == 0, "\(what): no writer after repair")
            #expect(try run(["store", "verify"], in: copy).exitCode == 0, "\(what): verify after repair")
        }
        print(
            "corruption test: \(flips) changed bytes and \(cuts) cuts, each found by opening and by verify, and repaired"
        )
    }

    @Test("8 processes tagging the same customers at once lose no update")
    func concurrentWriters() throws {
        let dir = try demo()
        #expect(
            try CLI.run([
                "customer", "add", "--as", "bob", "--table", "individual", "name=Shared", "--config", dir.path,
            ]).exitCode == 0)
        #expect(
            try CLI.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Other", "--config", dir.path])
                .exitCode == 0)
        var processes: [Process] = []
        var expected: [String] = []
        for round in 0..<5 {
            for writer in 0..<8 {
                let tag = "w\(writer)-r\(round)"
                expected.append(tag)
                processes.append(
                    try Self.start(["tag", "add", "P000001", "P000002", tag, "--as", "bob", "--config", dir.path]).0)
            }
            for p in processes { p.waitUntilExit() }
            for p in processes { #expect(p.terminationStatus == 0) }
            processes.removeAll()
        }
        let shown = try CLI.run([
            "customer", "show", "--format", "json", "--as", "bob", "P000001", "--config", dir.path,
        ]).stdout
        let tags =
            ((try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])?["tags"] as? [String]) ?? []
        #expect(Set(tags) == Set(expected), "lost: \(Set(expected).subtracting(tags).sorted())")
        let log = try CLI.run(["log", "P000002", "--type", "tag", "--as", "carol", "--config", dir.path]).stdout
        #expect(log.split(separator: "\n").count == 40, "the log accounts for every write")
    }
}
