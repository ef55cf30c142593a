import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import ClienteleTestSupport
import Foundation
import Testing

/// The engine's promises, through the built binary: the applied version governs,
/// `--as` names a user of it, nothing hidden leaks through filters, logs or
/// messages, and the store keeps what it acknowledged.
@Suite("Trust: the applied version, checked users, nothing hidden leaks")
struct TrustTests {
    typealias Demo = StoreCommandTests.Demo

    func demo() throws -> Demo { try StoreCommandTests().demo() }

    /// Replaces text in one of the demo's config files.
    func edit(_ d: Demo, _ file: String, _ old: String, _ new: String) throws {
        let url = d.dir.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains(old), "\(file) holds \(old)")
        try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
    }

    @Test("an edit to the config directory takes effect only through apply, and commands say it differs")
    func appliedVersionGoverns() throws {
        let d = try demo()
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li Wang"]).exitCode == 0)
        try edit(
            d, "org.yaml", "    department: west\n    roles: [sales-rep]",
            "    department: west\n    roles: [sales-rep, admin]")
        let shown = try d.run(["customer", "show", "--format", "json", "--as", "erin", "P000001"])
        // Erin is an admin only in the directory: under the applied version she may not view P000001.
        #expect(shown.exitCode == 1 && shown.stderr.contains("there is no customer 'P000001'"), "\(shown.stdout)")
        #expect(
            shown.stderr.contains(
                "note: the config directory differs from the applied version 1; 'clientele plan' shows the change"))
        #expect(try d.run(["can", "erin", "edit", "P000001"]).exitCode == 3)

        // A config copied elsewhere and pointed at the real store grants nothing either.
        let copy = try CLI.temporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: d.dir.path) where name.hasSuffix(".yaml") {
            try FileManager.default.copyItem(
                at: d.dir.appendingPathComponent(name), to: copy.appendingPathComponent(name))
        }
        let project = copy.appendingPathComponent("clientele.yaml")
        let store = d.dir.appendingPathComponent(".clientele/store").path
        let text = try String(contentsOf: project, encoding: .utf8)
        try
            (text.split(separator: "\n").filter { !$0.hasPrefix("store:") }.joined(separator: "\n")
            + "\nstore: \(store)\n")
            .write(to: project, atomically: true, encoding: .utf8)
        let copied = try CLI.run(["customer", "edit", "--as", "erin", "P000001", "name=Mallory", "--config", copy.path])
        #expect(copied.exitCode == 1 && copied.stderr.contains("there is no customer 'P000001'"), "\(copied.stderr)")
    }

    @Test("before the first apply, customer commands create nothing and say how to start")
    func noStoreYet() throws {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        for arguments in [
            ["customer", "add", "--as", "bob", "--table", "individual", "name=X"], ["customer", "list", "--as", "bob"],
            ["log", "--as", "bob"], ["pool", "sweep", "--as", "carol", "--dry-run"],
        ] {
            let run = try CLI.run(arguments + ["--config", dir.path])
            #expect(run.exitCode == 1, "\(arguments)")
            #expect(run.stderr.contains("no store yet"), "\(arguments): \(run.stderr)")
        }
        #expect(
            !FileManager.default.fileExists(atPath: dir.appendingPathComponent(".clientele").path),
            "nothing was created")
    }

    @Test("--as names an active user of the applied version; apply and rollback need 'configure'")
    func actingUsers() throws {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        let missing = try CLI.run(["apply", "--config", dir.path])
        #expect(missing.exitCode == 64 && missing.stderr.contains("apply needs --as USER"))
        let notAdmin = try CLI.run(["apply", "--config", dir.path, "--as", "bob"])
        #expect(
            notAdmin.exitCode == 3 && notAdmin.stderr.contains("bob may not create the store"), "\(notAdmin.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".clientele/store/data").path))
        let d = Demo(dir: dir)
        #expect(try d.run(["apply", "--as", "carol"]).exitCode == 0)
        let mallory = try d.run(["customer", "list", "--as", "mallory"])
        #expect(mallory.exitCode == 1 && mallory.stderr.contains("no user 'mallory'"), "\(mallory.stderr)")
        let typo = try d.run(["customer", "list", "--as", "carl"])
        #expect(typo.stderr.contains("did you mean 'carol'?"), "\(typo.stderr)")
        let rollback = try d.run(["rollback", "1", "--as", "bob", "--yes"])
        #expect(
            rollback.exitCode == 3 && rollback.stderr.contains("needs the 'configure' action"), "\(rollback.stderr)")
        let sweep = try d.run(["pool", "sweep", "--as", "bob"])
        #expect(sweep.exitCode == 3 && sweep.stderr.contains("may not sweep"), "\(sweep.stderr)")
        let ahead = try CLI.run([
            "pool", "sweep", "--as", "carol", "--now", "2099-01-01T00:00:00Z", "--config", d.config,
        ])
        #expect(
            ahead.exitCode == 1 && ahead.stderr.contains("only 'pool sweep --dry-run' may look ahead"),
            "\(ahead.stderr)")
        // Outside tests, a write records the clock: --now is refused on writers, and malformed everywhere.
        let forged = try CLI.run(
            ["pool", "claim", "P000001", "--as", "bob", "--now", "2020-01-01T00:00:00Z", "--config", d.config],
            environment: ["CLIENTELE_CLOCK_OVERRIDE": "0"])
        #expect(forged.exitCode == 64 && forged.stderr.contains("CLIENTELE_CLOCK_OVERRIDE=1"), "\(forged.stderr)")
        let looking = try CLI.run(
            ["pool", "sweep", "--as", "carol", "--dry-run", "--now", "2099-01-01T00:00:00Z", "--config", d.config],
            environment: ["CLIENTELE_CLOCK_OVERRIDE": "0"])
        #expect(looking.exitCode == 0, "a dry run may look ahead: \(looking.stderr)")
        #expect(try CLI.run(["customer", "list", "--as", "bob", "--now", "NaN", "--config", d.config]).exitCode == 64)
    }

    @Test("the log shows each user the customers they may view, values as show would show them")
    func logAsUser() throws {
        let d = try demo()
        #expect(
            try d.run([
                "customer", "add", "--as", "carol", "--table", "organization", "name=Acme", "budget=125000",
                "account_executive=bob",
            ]).exitCode == 0)
        #expect(try d.run(["customer", "add", "--as", "erin", "--table", "individual", "name=West"]).exitCode == 0)
        let bob = try d.run(["log", "--as", "bob"]).stdout
        #expect(bob.contains("O000001") && !bob.contains("P000001"), "\(bob)")
        #expect(!bob.contains("125000") && !bob.contains("budget"), "reps may not read the budget: \(bob)")
        #expect(try d.run(["log", "--as", "carol"]).stdout.contains("budget: null -> 125000"))
        #expect(try d.run(["customer", "delete", "--as", "carol", "P000001"]).exitCode == 0)
        #expect(
            !(try d.run(["log", "--as", "erin"]).stdout.contains("P000001")),
            "a deleted customer's entries are for admins")
        #expect(try d.run(["log", "--as", "carol", "P000001"]).stdout.contains("delete"))
    }

    @Test(
        "filters read only what the user may read: --where on a hidden field is refused, --search reads masked values")
    func filtersSeeWhatTheUserSees() throws {
        let d = try demo()
        #expect(
            try d.run([
                "customer", "add", "--as", "carol", "--table", "organization", "name=Acme", "budget=125000",
                "account_executive=bob",
            ]).exitCode == 0)
        let hidden = try d.run(["customer", "list", "--as", "bob", "--where", "customer.budget == 125000"])
        #expect(hidden.exitCode == 3 && hidden.stderr.contains("'budget'"), "\(hidden.stderr)")
        #expect(
            try d.run(["customer", "list", "--as", "carol", "--where", "customer.budget == 125000"]).stdout.contains(
                "O000001"))
        #expect(
            try d.run([
                "customer", "add", "--as", "carol", "--table", "organization", "--package", "trade-show", "name=Secret",
                "email=secret.ceo@example.com", "account_executive=bob",
            ]).exitCode == 0)
        #expect(try d.run(["customer", "list", "--as", "carol", "--search", "secret.ceo"]).stdout.contains("O000002"))
        let masked = try d.run(["customer", "list", "--as", "fin", "--search", "secret.ceo"])
        #expect(masked.exitCode == 0 && masked.stdout.isEmpty, "finance sees the e-mail masked: \(masked.stdout)")
        #expect(try d.run(["customer", "list", "--as", "fin"]).stdout.contains("O000002"))
    }

    @Test("naming another owner or service rep needs assign; edit changes them checked and logged")
    func assignments() throws {
        let d = try demo()
        let rep = try d.run([
            "customer", "add", "--as", "bob", "--table", "individual", "name=X", "customer_service_rep=dora",
        ])
        #expect(
            rep.exitCode == 3 && rep.stderr.contains("may not name another service representative"), "\(rep.stderr)")
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=X"]).exitCode == 0)
        let edited = try d.run(["customer", "edit", "--as", "bob", "P000001", "account_executive=dora"])
        #expect(
            edited.exitCode == 3 && edited.stderr.contains("may not change the account executive"), "\(edited.stderr)")
        #expect(try d.run(["customer", "edit", "--as", "carol", "P000001", "account_executive=dora"]).exitCode == 0)
        #expect(
            try d.run(["customer", "show", "--format", "json", "--as", "carol", "P000001"]).stdout.contains(
                #""account_executive":"dora""#))
        #expect(
            try d.run(["log", "--as", "carol", "P000001", "--type", "edit"]).stdout.contains(
                #"account_executive: "bob" -> "dora""#))
        let unknown = try d.run(["customer", "edit", "--as", "carol", "P000001", "account_executive=mallory"])
        #expect(unknown.exitCode == 1 && unknown.stderr.contains("no user 'mallory'"))
    }

    @Test("a deleted customer's number is never given again")
    func numbersRetire() throws {
        let d = try demo()
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Old"]).stdout == "P000001\n")
        #expect(try d.run(["customer", "delete", "--as", "carol", "P000001"]).exitCode == 0)
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=New"]).stdout == "P000002\n")
        let rows = d.dir.appendingPathComponent("again.jsonl")
        try #"{"id":"P000001","table":"individual","fields":{"name":"Again"}}"#.write(
            to: rows, atomically: true, encoding: .utf8)
        let imported = try d.run(["import", rows.path, "--as", "carol"])
        #expect(
            imported.exitCode == 1 && imported.stdout.contains("id 'P000001' is taken in the store"),
            "\(imported.stdout)\(imported.stderr)")
    }

    @Test("CSV output quotes on bytes and defuses formulas; --raw-csv writes cells as stored")
    func csvOutput() throws {
        let d = try demo()
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name==1+1", "level=A"]).exitCode == 0
        )
        let csv = try d.run(["export", "--as", "carol", "--format", "csv", "--table", "individual"])
        #expect(csv.exitCode == 0)
        #expect(csv.stdout.contains(",'=1+1,"), "\(csv.stdout)")
        let raw = try d.run(["export", "--as", "carol", "--format", "csv", "--table", "individual", "--raw-csv"])
        #expect(raw.stdout.contains(",=1+1,"), "\(raw.stdout)")
        // CR LF is one Swift Character; the cell is quoted all the same, so it cannot start a row.
        #expect(CSVCell.escaped("Li\r\nP9,forged", raw: true) == "\"Li\r\nP9,forged\"")
        #expect(CSVCell.escaped("a\r\nb", raw: true) == "\"a\r\nb\"")
        #expect(
            CSVCell.escaped("-12.5") == "-12.5" && CSVCell.escaped("-1+2") == "'-1+2"
                && CSVCell.escaped("@SUM(A1)") == "'@SUM(A1)")
        for number in ["-.5", "+.5", "-1e5", "+3"] { #expect(CSVCell.escaped(number) == number) }
        for formula in ["=12", "=1.5", "@5", "\t7", "\r9", "-", "+e5", "-1e"] {
            #expect(CSVCell.escaped(formula, raw: true) != CSVCell.escaped(formula), "\(formula.debugDescription)")
        }
    }

    @Test("output files never land in the store; a failed write to stdout is exit 1")
    func outputPaths() throws {
        let d = try demo()
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li Wang"]).exitCode == 0)
        let before = try d.snapshot()
        let segment = d.data.appendingPathComponent("000001.jsonl").path
        let onto = try d.run(["export", "--as", "carol", "--out", segment])
        #expect(onto.exitCode == 1 && onto.stderr.contains("is inside the store"), "\(onto.stderr)")
        let template = try CLI.run([
            "template", "--table", "individual", "--out", d.dir.appendingPathComponent(".clientele/store/lock").path,
            "--config", d.config,
        ])
        #expect(template.exitCode == 1 && template.stderr.contains("is inside the store"))
        #expect(try d.snapshot() == before)
        if FileManager.default.fileExists(atPath: "/dev/full") {
            let full = try d.run(["export", "--as", "carol", "--out", "/dev/full"])
            #expect(full.exitCode == 1 && full.stderr.contains("cannot write"), "\(full.stderr)")
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["export", "--as", "carol", "--config", d.config]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            process.waitUntilExit()
            let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 1 && said.contains("cannot write the output"), "\(said)")
        }
    }

    @Test("the store's files are private, and it follows no symbolic link")
    func privateFilesNoLinks() throws {
        let d = try demo()
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li Wang"]).exitCode == 0)
        let segment = d.data.appendingPathComponent("000001.jsonl").path
        let mode = (try FileManager.default.attributesOfItem(atPath: segment)[.posixPermissions] as? Int) ?? 0
        #expect(mode & 0o077 == 0, "segment mode \(String(mode, radix: 8))")
        let dataMode = (try FileManager.default.attributesOfItem(atPath: d.data.path)[.posixPermissions] as? Int) ?? 0
        #expect(dataMode & 0o077 == 0, "data/ mode \(String(dataMode, radix: 8))")
        // data/ replaced by a link to a copy: refused, not followed.
        let elsewhere = try CLI.temporaryDirectory().appendingPathComponent("data")
        try FileManager.default.moveItem(at: d.data, to: elsewhere)
        try FileManager.default.createSymbolicLink(at: d.data, withDestinationURL: elsewhere)
        let linked = try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=X"])
        #expect(linked.exitCode == 1 && linked.stderr.contains("follows no links"), "\(linked.stderr)")
    }

    @Test("a changed byte in a committed batch is found when the store opens, and nothing is written after it")
    func checksums() throws {
        let d = try demo()
        for name in ["Ann", "Ben"] {
            #expect(
                try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=\(name)"]).exitCode == 0)
        }
        let segment = d.data.appendingPathComponent("000001.jsonl")
        let original = try Data(contentsOf: segment)
        let text = String(decoding: original, as: UTF8.self)
        // The last commit line's batch number: a writer used to drop that batch and reuse its id.
        let lastCommit = text.range(of: #"{"batch":"#, options: .backwards)!
        let digit = text.utf8.distance(from: text.utf8.startIndex, to: lastCommit.upperBound)
        var flipped = original
        flipped[digit] = flipped[digit] == UInt8(ascii: "9") ? UInt8(ascii: "8") : flipped[digit] + 1
        try flipped.write(to: segment)
        let add = try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Cy"])
        #expect(
            add.exitCode == 1 && add.stderr.contains("000001.jsonl:") && add.stderr.contains("damaged"), "\(add.stderr)"
        )
        #expect(try Data(contentsOf: segment) == flipped, "nothing was cut or written")
        // A changed value is found too, by readers as well.
        var value = original
        let ann = text.utf8.distance(from: text.utf8.startIndex, to: text.range(of: "Ann")!.lowerBound)
        value[ann] = UInt8(ascii: "E")
        try value.write(to: segment)
        let list = try d.run(["customer", "list", "--as", "bob"])
        #expect(
            list.exitCode == 1 && list.stderr.contains("does not match its checksum"), "\(list.stdout)\(list.stderr)")
    }

    @Test("a unique clash does not say which customer holds the value")
    func uniqueClashNamesNoCustomer() throws {
        let d = try demo()
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=A", "email=a@example.com"])
                .exitCode == 0)
        let clash = try d.run([
            "customer", "add", "--as", "erin", "--table", "individual", "name=B", "email=a@example.com",
        ])
        #expect(
            clash.exitCode == 1 && clash.stderr.contains("is already in use") && !clash.stderr.contains("P000001"),
            "\(clash.stderr)")
    }

    @Test("deleting a held lock file does not let a second writer in")
    func lockFileDeleted() throws {
        let d = try demo()
        let store = d.dir.appendingPathComponent(".clientele/store").path
        let held = try StoreLock.acquire(in: store, holder: "first", timeout: 1)
        try FileManager.default.removeItem(atPath: store + "/lock")
        #expect(throws: StoreError.self) { _ = try StoreLock.acquire(in: store, holder: "second", timeout: 0.2) }
        withExtendedLifetime(held) {}
    }
    @Test("store verify lists damage with its place, repair cuts it into backups/ and the store opens again")
    func verifyAndRepair() throws {
        let d = try demo()
        for name in ["Ann", "Ben", "Cy"] {
            #expect(
                try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=\(name)"]).exitCode == 0)
        }
        let clean = try CLI.run(["store", "verify", "--config", d.config])
        #expect(
            clean.exitCode == 0 && clean.stdout.contains("4 committed batches, 3 documents: the store is whole"),
            "\(clean.stdout)")
        let segment = d.data.appendingPathComponent("000001.jsonl")
        var bytes = try Data(contentsOf: segment)
        let text = String(decoding: bytes, as: UTF8.self)
        bytes[text.utf8.distance(from: text.utf8.startIndex, to: text.range(of: "\"Ben\"")!.lowerBound) + 1] = UInt8(
            ascii: "X")
        try bytes.write(to: segment)
        let verified = try CLI.run(["store", "verify", "--config", d.config])
        #expect(
            verified.exitCode == 1
                && verified.stdout.contains("000001.jsonl:6: batch 3 (lines 6-8) does not match its checksum"),
            "\(verified.stdout)")
        let json = try CLI.run(["store", "verify", "--format", "json", "--config", d.config])
        #expect(json.stdout.contains(#""ok":false"#) && json.stdout.contains(#""line":6"#))
        let repaired = try CLI.run(["store", "repair", "--config", d.config])
        #expect(
            repaired.exitCode == 0 && repaired.stdout.contains("cut ")
                && repaired.stdout.contains("kept what is cut in"), "\(repaired.stdout)")
        let backups = try FileManager.default.contentsOfDirectory(
            atPath: d.dir.appendingPathComponent(".clientele/store/backups").path)
        let backup = try String(
            contentsOf: d.dir.appendingPathComponent(".clientele/store/backups/" + backups[0]), encoding: .utf8)
        #expect(
            backup.contains(#""why":"batch 3 (lines 6-8) does not match its checksum""#) && backup.contains("P000002"))
        #expect(try CLI.run(["store", "verify", "--config", d.config]).exitCode == 0)
        let listed = try d.run(["customer", "list", "--as", "bob"])
        #expect(
            listed.exitCode == 0 && listed.stdout.contains("P000001") && !listed.stdout.contains("P000002")
                && listed.stdout.contains("P000003"))
        #expect(try CLI.run(["store", "repair", "--config", d.config]).stdout == "nothing to repair\n")
        // The cut customer's id stays retired: a new customer never takes it, nor its log.
        #expect(
            repaired.stdout.contains("retired the ids of the customers in what was cut: P000002"), "\(repaired.stdout)")
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Dee"]).stdout == "P000004\n")

        // A second repair keeps the first one's backup.
        var again = try Data(contentsOf: segment)
        let now = String(decoding: again, as: UTF8.self)
        again[now.utf8.distance(from: now.utf8.startIndex, to: now.range(of: "\"Dee\"")!.lowerBound) + 1] = UInt8(
            ascii: "X")
        try again.write(to: segment)
        #expect(try CLI.run(["store", "repair", "--config", d.config]).exitCode == 0)
        #expect(
            try FileManager.default.contentsOfDirectory(
                atPath: d.dir.appendingPathComponent(".clientele/store/backups").path
            ).count == 2)

        // A file that is not a segment (000000.jsonl) is neither read nor renamed over the log.
        _ = FileManager.default.createFile(atPath: d.data.appendingPathComponent("000000.jsonl").path, contents: Data())
        #expect(try CLI.run(["store", "repair", "--config", d.config]).stdout == "nothing to repair\n")
        #expect(try d.run(["customer", "list", "--as", "bob"]).stdout.contains("P000001"))
    }

    @Test("a commit line glued to the line before it costs repair that batch alone")
    func gluedCommit() throws {
        let d = try demo()
        for name in ["Ann", "Ben", "Cy"] {
            #expect(
                try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=\(name)"]).exitCode == 0)
        }
        let segment = d.data.appendingPathComponent("000001.jsonl")
        let text = try String(contentsOf: segment, encoding: .utf8)
        // Batch 3 (Ben): its log line and its commit line become one line.
        let commit = try #require(text.range(of: "\n{\"batch\":3,\"commit\":"))
        try text.replacingCharacters(in: commit.lowerBound..<text.index(after: commit.lowerBound), with: "").write(
            to: segment, atomically: false, encoding: .utf8)
        let verified = try CLI.run(["store", "verify", "--config", d.config])
        #expect(
            verified.exitCode == 1 && verified.stdout.contains("a commit line is joined to the line before it"),
            "\(verified.stdout)")
        #expect(try CLI.run(["store", "repair", "--config", d.config]).exitCode == 0)
        let listed = try d.run(["customer", "list", "--as", "bob"]).stdout
        #expect(
            listed.contains("Ann") && !listed.contains("Ben") && listed.contains("Cy"),
            "only Ben's batch is cut: \(listed)")
    }

    @Test(
        "a checksum taken off a batch and a line of an old batch after the last commit are refused; a commit line short of its newline is kept"
    )
    func moreDamage() throws {
        let d = try demo()
        for name in ["Ann", "Ben"] {
            #expect(
                try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=\(name)"]).exitCode == 0)
        }
        let segment = d.data.appendingPathComponent("000001.jsonl")
        let original = try String(contentsOf: segment, encoding: .utf8)
        // The last commit line without its checksum, and a value changed: the change would pass unseen.
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let last = lines.count - 2
        lines[last] = lines[last].replacingOccurrences(
            of: #",\"crc32c\":\"[0-9a-f]{8}\""#, with: "", options: .regularExpression)
        try lines.joined(separator: "\n").replacingOccurrences(of: "\"Ben\"", with: "\"Bxn\"").write(
            to: segment, atomically: false, encoding: .utf8)
        let stripped = try d.run(["customer", "list", "--as", "bob"])
        #expect(
            stripped.exitCode == 1 && stripped.stderr.contains("has no checksum, but batches before it do"),
            "\(stripped.stderr)")
        // A copy of an earlier line after the last commit: no crash leaves that.
        try (original + lines[2] + "\n").write(to: segment, atomically: false, encoding: .utf8)
        let old = try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Cy"])
        #expect(old.exitCode == 1 && old.stderr.contains("where only batch"), "\(old.stderr)")
        // The last commit line short of its newline: the batch verifies, readers and writers both keep it.
        try String(original.dropLast()).write(to: segment, atomically: false, encoding: .utf8)
        try? FileManager.default.removeItem(at: d.dir.appendingPathComponent(".clientele/store/index"))
        #expect(try d.run(["customer", "list", "--as", "bob"]).stdout.contains("Ben"))
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Cy"]).exitCode == 0)
    }

    @Test("a log cut short behind the access columns, or a missing segment, is found")
    func shortLog() throws {
        let d = try demo()
        for name in ["Ann", "Ben"] {
            #expect(
                try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=\(name)"]).exitCode == 0)
        }
        #expect(
            try d.run(["customer", "list", "--as", "bob"]).exitCode == 0,
            "writes the access columns at the end of the log")
        let segment = d.data.appendingPathComponent("000001.jsonl")
        let bytes = try Data(contentsOf: segment)
        // Cut the last batch whole: every line left is a committed batch.
        let text = String(decoding: bytes.dropLast(), as: UTF8.self)
        let lastBatch = text.range(of: "\n{\"batch\":3,", options: .backwards)!
        try bytes.prefix(text.utf8.distance(from: text.utf8.startIndex, to: lastBatch.lowerBound) + 1).write(
            to: segment)
        let add = try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Cy"])
        #expect(add.exitCode == 1 && add.stderr.contains("the log ends before"), "\(add.stderr)")
        #expect(
            try CLI.run(["store", "verify", "--config", d.config]).stdout.contains("committed batches are missing"))
        #expect(try CLI.run(["store", "repair", "--config", d.config]).exitCode == 0)
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Cy"]).exitCode == 0)

        // Lines after the last commit that no writer writes (an export appended to the log) stop writers too.
        let whole = try Data(contentsOf: segment)
        try (whole + Data("{\"id\":\"P000009\",\"fields\":{}}\n".utf8)).write(to: segment)
        let appended = try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Dee"])
        #expect(appended.exitCode == 1 && appended.stderr.contains("after the last commit"), "\(appended.stderr)")
        try whole.write(to: segment)

        // A copy of the segment as the next one repeats its batches.
        try whole.write(to: d.data.appendingPathComponent("000002.jsonl"))
        let repeated = try d.run(["customer", "list", "--as", "bob"])
        #expect(repeated.exitCode == 1 && repeated.stderr.contains("comes again after batch"), "\(repeated.stderr)")
        try FileManager.default.removeItem(at: d.data.appendingPathComponent("000002.jsonl"))

        try FileManager.default.moveItem(at: segment, to: d.data.appendingPathComponent("000002.jsonl"))
        let missing = try d.run(["customer", "list", "--as", "bob"])
        #expect(
            missing.exitCode == 1 && missing.stderr.contains("000001.jsonl:1: the segment is missing"),
            "\(missing.stderr)")
    }

    @Test("imports refuse text that is not UTF-8 and numbers that overflow, with row and column")
    func importInput() throws {
        let d = try demo()
        let csv = d.dir.appendingPathComponent("latin1.csv")
        // "José" written in Latin-1: the é is the one byte E9.
        try Data(Array("Name,E-mail\r\nAnn,a@example.com\r\nJos".utf8) + [0xE9] + Array(",b@example.com\r\n".utf8))
            .write(to: csv)
        let refused = try d.run(["import", csv.path, "--table", "individual", "--dry-run"])
        #expect(
            refused.exitCode == 1 && refused.stderr.contains("row 3, column 1: this cell is not UTF-8 text"),
            "\(refused.stdout)\(refused.stderr)")
        let rows = d.dir.appendingPathComponent("huge.jsonl")
        try #"{"table":"organization","fields":{"name":"Big","budget":1e400}}"#.write(
            to: rows, atomically: true, encoding: .utf8)
        let huge = try d.run(["import", rows.path, "--dry-run"])
        #expect(
            huge.exitCode == 1 && huge.stdout.contains("row 1, column budget") && huge.stdout.contains("finite number"),
            "\(huge.stdout)\(huge.stderr)")
    }

    @Test("a batch request that names a key twice is refused")
    func batchDuplicateKeys() throws {
        let d = try demo()
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Ann"]).exitCode == 0)
        let requests = d.dir.appendingPathComponent("requests.jsonl")
        try #"{"user":"erin","action":"view","customer":"P000001","user":"bob"}"#.write(
            to: requests, atomically: true, encoding: .utf8)
        let run = try d.run(["can", "--batch", requests.path])
        #expect(run.exitCode == 1 && run.stderr.contains("row 1: the key \"user\" is given twice"), "\(run.stderr)")
    }

    @Test("control characters are refused in text values, C0 and C1 alike, naming the field and the character")
    func controlCharacters() throws {
        let d = try demo()
        for (value, named) in [("Li\u{1B}[2J", "U+001B"), ("Li\u{9B}31m", "U+009B"), ("Li\u{7F}", "U+007F")] {
            let refused = try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=\(value)"])
            #expect(refused.exitCode == 1, "\(value.debugDescription)")
            #expect(
                refused.stderr.contains("'name' (Name) may not hold the control character \(named)")
                    && !refused.stderr.contains("\u{1B}") && !refused.stderr.contains("\u{9B}"),
                "\(refused.stderr.debugDescription)")
        }
        #expect(try d.run(["customer", "list", "--as", "bob"]).stdout.isEmpty)
        let tab = try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li\tWang"])
        #expect(tab.exitCode == 0, "a tab is text: \(tab.stderr)")
        #expect(try d.run(["customer", "list", "--as", "bob"]).stdout.contains("name=Li\tWang"))
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li\r\nWang\u{A0}"]).exitCode
                == 0)
        // Text output escapes what may still be stored: a tag is free text.
        #expect(try d.run(["tag", "add", "P000001", "x\u{1B}[2J\u{9B}31m", "--as", "bob"]).exitCode == 0)
        let listed = try d.run(["customer", "list", "--as", "bob"]).stdout
        #expect(!listed.contains("\u{1B}") && !listed.contains("\u{9B}"), "\(listed.debugDescription)")
        let log = try d.run(["log", "--as", "bob"]).stdout
        #expect(
            !log.contains("\u{1B}") && !log.contains("\u{9B}") && log.contains("\\u001b"), "\(log.debugDescription)")
    }

    @Test("a config file that links outside the config directory is refused, and nothing of it is shown")
    func configLinks() throws {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        let outside = try CLI.temporaryDirectory().appendingPathComponent("secret.yaml")
        try "secret: hunter2\n".write(to: outside, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            at: dir.appendingPathComponent("x.yaml"), withDestinationURL: outside)
        let run = try CLI.run(["validate", "--config", dir.path])
        #expect(
            run.exitCode == 1 && run.stderr.contains("x.yaml is a link to a file outside the config directory"),
            "\(run.stderr)")
        #expect(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"))
    }

    @Test("an import file cut short while it is read ends the command with a message, not a signal")
    func truncatedImport() throws {
        let d = try demo()
        let rows = d.dir.appendingPathComponent("big.jsonl")
        let line =
            #"{"table":"individual","fields":{"name":"Somebody with a long enough name to fill the pages","level":"A"}}"#
            + "\n"
        try String(repeating: line, count: 400_000).write(to: rows, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["import", rows.path, "--dry-run", "--config", d.config]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        usleep(150_000)
        truncate(rows.path, 0)
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "killed by a signal: \(said)")
        if process.terminationStatus != 0 {
            #expect(
                process.terminationStatus == 1 && said.contains("big.jsonl was cut short while it was read"), "\(said)")
        }
    }
}
