import ClienteleTestSupport
import Foundation
import Testing

/// Customer operations end to end, through the built binary: success, refusal by
/// the rules (exit 3, store unchanged) and bad input (exit 1, store unchanged).
@Suite("Customer operations on the store")
struct StoreCommandTests {
    struct Demo {
        let dir: URL
        var config: String { dir.path }
        var data: URL { dir.appendingPathComponent(".clientele/store/data") }

        /// Every byte of the store's data, to compare before and after.
        func snapshot() throws -> [String: Data] {
            var result: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: data.path) {
                result[name] = try Data(contentsOf: data.appendingPathComponent(name))
            }
            return result
        }

        func run(_ arguments: [String]) throws -> CLIRun {
            try CLI.run(arguments + ["--config", config, "--now", "2026-11-23T10:00:00Z"])
        }
    }

    func demo() throws -> Demo {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        let demo = Demo(dir: dir)
        let applied = try demo.run(["apply", "--as", "carol"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        return demo
    }

    func expectUnchanged(
        _ demo: Demo, _ arguments: [String], exit code: Int32, mentions: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try demo.snapshot()
        let run = try demo.run(arguments)
        #expect(run.exitCode == code, "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(mentions), "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(try demo.snapshot() == before, "the store changed", sourceLocation: sourceLocation)
    }

    @Test("add, show, edit and delete, each logged")
    func lifecycle() throws {
        let d = try demo()
        let added = try d.run([
            "customer", "add", "--as", "bob", "--table", "individual", "name=Li Wang", "email=li@example.com",
            "level=A",
        ])
        #expect(added.exitCode == 0 && added.stdout == "P000001\n", "\(added.stderr)")
        let shown = try d.run(["customer", "show", "--format", "json", "--as", "bob", "P000001"])
        #expect(shown.exitCode == 0)
        #expect(shown.stdout.contains(#""name":"Li Wang""#) && shown.stdout.contains(#""created_by":"bob""#))
        #expect(try d.run(["customer", "edit", "--as", "bob", "P000001", "level=B", "email="]).exitCode == 0)
        let edited = try d.run(["customer", "show", "--format", "json", "--as", "bob", "P000001"]).stdout
        #expect(edited.contains(#""level":"B""#) && !edited.contains("li@example.com"))
        #expect(try d.run(["customer", "delete", "--as", "carol", "P000001"]).exitCode == 0)
        #expect(try d.run(["customer", "show", "--format", "json", "--as", "carol", "P000001"]).exitCode == 1)
        let log = try String(contentsOf: d.data.appendingPathComponent("000001.jsonl"), encoding: .utf8)
        for type in ["apply", "create", "edit", "delete"] { #expect(log.contains(#""type":"\#(type)""#)) }
        #expect(log.contains(#"{"field":"level","from":"A","to":"B"}"#), "edits record each change")
    }

    @Test("refusals by the rules exit 3 and change nothing")
    func refusals() throws {
        let d = try demo()
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li Wang"]).exitCode == 0)
        // Erin may not view P000001: to her it is a customer that does not exist, whatever she tries.
        try expectUnchanged(
            d, ["customer", "edit", "--as", "erin", "P000001", "name=Someone"], exit: 1,
            mentions: "there is no customer 'P000001'")
        try expectUnchanged(
            d, ["customer", "show", "--format", "json", "--as", "erin", "P000001"], exit: 1,
            mentions: "there is no customer 'P000001'")
        for command in [["customer", "show"], ["customer", "edit"], ["customer", "delete"], ["customer", "follow"]] {
            let hidden = try d.run(command + ["--as", "erin", "P000001"] + (command[1] == "edit" ? ["name=X"] : []))
            let missing = try d.run(command + ["--as", "erin", "P000404"] + (command[1] == "edit" ? ["name=X"] : []))
            #expect(hidden.exitCode == missing.exitCode)
            #expect(hidden.stderr.replacingOccurrences(of: "P000001", with: "P000404") == missing.stderr)
        }
        // Bob may view his customer but not delete it: he is told why.
        try expectUnchanged(d, ["customer", "delete", "--as", "bob", "P000001"], exit: 3, mentions: "may not delete")
        try expectUnchanged(
            d, ["customer", "add", "--as", "bob", "--table", "individual", "name=X", "account_executive=dora"], exit: 3,
            mentions: "may not name another account executive")
    }

    @Test("bad input exits 1 and changes nothing")
    func badInput() throws {
        let d = try demo()
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li Wang"]).exitCode == 0)
        try expectUnchanged(
            d, ["customer", "add", "--as", "bob", "--table", "individual", "name=X", "email=bad@"], exit: 1,
            mentions: "column email")
        try expectUnchanged(
            d, ["customer", "add", "--as", "bob", "--table", "individual", "nmae=X"], exit: 1,
            mentions: "did you mean 'name'")
        try expectUnchanged(
            d, ["customer", "add", "--as", "bob", "--table", "individual", "level=Z"], exit: 1,
            mentions: "column name: 'name' (Name) is required")
        try expectUnchanged(
            d, ["customer", "edit", "--as", "bob", "P000001", "level=Z"], exit: 1,
            mentions: "expects one of A, B, C, VIP")
        try expectUnchanged(
            d, ["customer", "edit", "--as", "bob", "P000404", "level=A"], exit: 1,
            mentions: "there is no customer 'P000404'")
        try expectUnchanged(
            d, ["customer", "add", "--as", "nobody", "--table", "individual", "name=X"], exit: 1,
            mentions: "no user 'nobody'")
    }

    @Test("without a store, reading commands say how to create one")
    func noStore() throws {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        let run = try CLI.run(["customer", "show", "--format", "json", "--as", "bob", "P000001", "--config", dir.path])
        #expect(run.exitCode == 1)
        #expect(run.stderr.contains("run 'clientele apply' to create it"))
    }

    @Test("a changed applied version is refused by every command, and verify names its file")
    func changedVersionFile() throws {
        let d = try demo()
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li"]).exitCode == 0)
        let file = d.dir.appendingPathComponent(".clientele/store/versions/000001.json")
        var bytes = [UInt8](try Data(contentsOf: file))
        // A letter of a recorded file's text changes case: the file is still JSON, and no longer what was applied.
        let text = Array("permission_groups".utf8)
        let letter = try #require(
            bytes.indices.first { bytes[$0...].starts(with: text) })
        bytes[letter] ^= 0x20
        try Data(bytes).write(to: file)
        let shown = try d.run(["customer", "show", "--as", "bob", "P000001"])
        #expect(shown.exitCode == 1 && shown.stderr.contains("000001.json does not match the checksum"))
        let verified = try CLI.run(["store", "verify", "--config", d.config])
        #expect(verified.exitCode == 1)
        #expect(verified.stdout.hasPrefix(file.path + ":1: "), "\(verified.stdout)")
        #expect(verified.stdout.contains("put back the changed version file"), "repair cannot rebuild it")

        // A version that is no longer the applied one (a rollback may return to it) is checked by verify too.
        bytes[letter] ^= 0x20
        try Data(bytes).write(to: file)
        let org = d.dir.appendingPathComponent("org.yaml")
        try String(contentsOf: org, encoding: .utf8).replacingOccurrences(
            of: "name: Sales\n", with: "name: Sales team\n"
        )
        .write(to: org, atomically: true, encoding: .utf8)
        #expect(try d.run(["apply", "--as", "carol", "--yes"]).exitCode == 0)
        bytes[letter] ^= 0x20
        try Data(bytes).write(to: file)
        #expect(try d.run(["customer", "show", "--as", "bob", "P000001"]).exitCode == 0, "version 2 governs")
        let older = try CLI.run(["store", "verify", "--config", d.config])
        #expect(older.exitCode == 1 && older.stdout.hasPrefix(file.path + ":1: "), "\(older.stdout)")
    }

    @Test("tag tells ids from tags without telling whether a customer the user may not see exists")
    func tagSplitHidesCustomers() throws {
        let d = try demo()
        let file = d.dir.appendingPathComponent("ids.jsonl")
        try #"{"id":"acme","table":"individual","team":"sales","account_executive":"erin","fields":{"name":"Acme"}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try d.run(["import", file.path, "--as", "carol"]).exitCode == 0)
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li"]).stdout == "P000001\n")
        // Bob may not see acme: as a first word it is a word like any other.
        let hidden = try d.run(["tag", "add", "acme", "vip", "--as", "bob"])
        let unknown = try d.run(["tag", "add", "zzz", "vip", "--as", "bob"])
        #expect(hidden.exitCode == unknown.exitCode && hidden.stderr == unknown.stderr, "\(hidden.stderr)")
        #expect(try d.run(["tag", "add", "P000001", "acme", "--as", "bob"]).stdout == "tagged P000001 acme\n")
        // Erin may: acme is her customer's id.
        #expect(try d.run(["tag", "add", "acme", "vip", "--as", "erin"]).stdout == "tagged acme vip\n")
    }

    @Test("a tag given twice, a control character in text and an invisible one in an e-mail are refused where they are")
    func lookAlikesAndControls() throws {
        let d = try demo()
        let file = d.dir.appendingPathComponent("odd.jsonl")
        try #"{"table":"individual","fields":{"name":"a\u0000b","email":"vip@example.com\u200b"},"tags":["x","x"]}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let refused = try d.run(["import", file.path, "--as", "carol", "--dry-run"])
        #expect(refused.exitCode == 1)
        #expect(
            refused.stdout.hasPrefix(
                """
                row 1, column tags: the tag "x" is given twice
                row 1, column name: 'name' (Name) may not hold the control character U+0000
                row 1, column email: 'email' (E-mail) expects an e-mail address like name@example.com, got "vip@example.com\u{200B}" (it holds the invisible character U+200B)
                """), "\(refused.stdout)")
    }

    @Test("a customer carries at most 100 tags: one more is refused, and nothing is stored")
    func tagsAreBounded() throws {
        let d = try demo()
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li"]).stdout == "P000001\n")
        let hundred = (1...100).map { "t\($0)" }
        #expect(try d.run(["tag", "set", "P000001"] + hundred + ["--as", "bob"]).exitCode == 0)
        let before = try d.run(["customer", "show", "P000001", "--as", "bob", "--format", "json"]).stdout
        #expect(before.contains("t100"), "\(before)")
        let more = try d.run(["tag", "add", "P000001", "one-more", "--as", "bob"])
        #expect(more.exitCode == 1)
        #expect(more.stderr.contains("a customer has at most 100 tags, got 101"), "\(more.stderr)")
        #expect(try d.run(["customer", "show", "P000001", "--as", "bob", "--format", "json"]).stdout == before)
    }

    @Test("can, who-can, visible and log read the store")
    func accessCommands() throws {
        let d = try demo()
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li Wang", "level=A"]).stdout
                == "P000001\n")
        #expect(
            try d.run(["customer", "add", "--as", "erin", "--table", "individual", "name=West", "level=B"]).stdout
                == "P000002\n")

        let allowed = try d.run(["can", "bob", "edit", "P000001"])
        #expect(allowed.exitCode == 0 && allowed.stdout == "allowed (rule 'default.owner')\n")
        let denied = try d.run(["can", "erin", "edit", "P000001", "--format", "json"])
        #expect(denied.exitCode == 3)
        let json = try JSONSerialization.jsonObject(with: Data(denied.stdout.utf8)) as? [String: Any]
        #expect(
            json?["allowed"] as? Bool == false && json?["rule"] is NSNull
                && (json?["reasons"] as? [String])?.first == "no rule allows edit")
        #expect(try d.run(["can", "erin", "fly", "P000001"]).exitCode == 64, "an unknown action is a usage error")
        #expect(try d.run(["can", "erin", "edit", "P000404"]).exitCode == 1)

        #expect(
            try d.run(["who-can", "view", "P000001"]).stdout
                == "carol  default.admin\nalice  default.group\nbob    default.owner\ndora   default.group\n")
        #expect(try d.run(["visible", "frank"]).stdout == "P000002\n", "frank manages erin")
        #expect(try d.run(["visible", "carol", "--count"]).stdout == "2\n")
        #expect(
            try d.run(["visible", "bob", "--format", "json"]).stdout
                == #"{"user":"bob","action":"view","customers":["P000001"]}"# + "\n")

        let requests = d.dir.appendingPathComponent("requests.jsonl")
        try #"{"user":"bob","action":"edit","customer":"P000001"}"#.appending(
            "\n" + #"{"user":"erin","action":"view","customer":"P000001"}"#
        ).write(to: requests, atomically: true, encoding: .utf8)
        #expect(
            try d.run(["can", "--batch", requests.path]).stdout
                == #"{"user":"bob","action":"edit","customer":"P000001","allowed":true,"rule":"default.owner"}"# + "\n"
                + #"{"user":"erin","action":"view","customer":"P000001","allowed":false,"rule":null}"# + "\n")

        // --customers FILE: the same decisions over customers that are not stored.
        let file = d.dir.appendingPathComponent("candidates.jsonl")
        try """
        {"id":"X1","team":"sales","table":"individual","account_executive":"erin","fields":{"name":"Not stored"}}

        {"id":"P000001","team":"sales","table":"individual","account_executive":"erin","fields":{"name":"Changed owner"}}

        """.write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try d.run(["can", "--batch", requests.path, "--customers", file.path])
        #expect(
            fromFile.exitCode == 0
                && fromFile.stdout
                    == #"{"user":"bob","action":"edit","customer":"P000001","allowed":false,"rule":null}"# + "\n"
                    + #"{"user":"erin","action":"view","customer":"P000001","allowed":true,"rule":"default.owner"}"#
                    + "\n",
            "\(fromFile.stderr)")
        #expect(try d.run(["visible", "erin", "--customers", file.path]).stdout == "X1\nP000001\n")
        #expect(
            try d.run(["can", "frank", "view", "X1", "--customers", file.path]).stdout
                == "allowed (rule 'default.manager')\n")
        let missing = try d.run([
            "can", "--batch", requests.path, "--customers", d.dir.appendingPathComponent("requests.jsonl").path,
        ])
        #expect(
            missing.exitCode == 1 && missing.stderr.contains("requests.jsonl: row 1: expected a customer"),
            "requests are not customers: \(missing.stderr)")
        let unknown = try d.run([
            "can", "--batch", requests.path, "--customers", d.dir.appendingPathComponent("none.jsonl").path,
        ])
        #expect(unknown.exitCode == 1 && unknown.stderr.contains("none.jsonl"))
        // One customer per id: `visible` and `can` would read different rows.
        let twice = d.dir.appendingPathComponent("twice.jsonl")
        try
            (String(decoding: try Data(contentsOf: file), as: UTF8.self) + "\n"
            + #"{"id":"X1","team":"sales","table":"individual","account_executive":"dora","fields":{"name":"b"}}"#)
            .write(to: twice, atomically: true, encoding: .utf8)
        for command in [["visible", "erin"], ["can", "erin", "view", "X1"]] {
            let repeated = try d.run(command + ["--customers", twice.path])
            #expect(
                repeated.exitCode == 1 && repeated.stderr.contains("column id: 'X1' is given again (first in row 1)"),
                "\(repeated.stderr)")
        }
        try #"{"user":"bob","action":"view","customer":"P000002"}"#.write(
            to: requests, atomically: true, encoding: .utf8)
        let notInFile = try d.run(["can", "--batch", requests.path, "--customers", file.path])
        #expect(
            notInFile.exitCode == 1 && notInFile.stdout.contains(#""error":"there is no customer in "#),
            "\(notInFile.stdout)")

        let log = try d.run(["log", "P000001", "--as", "bob"])
        #expect(
            log.stdout
                == "2026-11-23T10:00:00Z  bob  create  P000001  name: null -> \"Li Wang\"; level: null -> \"A\"\n")
        #expect(
            try d.run(["log", "--type", "apply", "--as", "carol"]).stdout == "2026-11-23T10:00:00Z  carol  apply\n")
        #expect(
            try d.run(["log", "--type", "apply", "--as", "bob"]).stdout == "", "the config's own entries are for admins"
        )
    }

    @Test("follow, share, unshare and tags: checked, batched and logged")
    func sharingAndTags() throws {
        let d = try demo()
        for name in ["One", "Two"] {
            #expect(
                try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=\(name)"]).exitCode == 0)
        }
        #expect(
            try d.run(["share", "P000001", "P000002", "--as", "bob", "--users", "erin", "--roles", "finance"]).exitCode
                == 0)
        #expect(try d.run(["can", "erin", "view", "P000002"]).exitCode == 0, "shared with erin")
        #expect(try d.run(["can", "erin", "edit", "P000002"]).exitCode == 3, "sharing gives view only")
        #expect(
            try d.run(["customer", "follow", "--as", "erin", "P000001"]).exitCode == 0,
            "shared customers may be followed")
        #expect(
            try d.run(["customer", "show", "--format", "json", "--as", "erin", "P000001"]).stdout.contains(
                #""followers":["erin"]"#))
        #expect(try d.run(["unshare", "P000001", "P000002", "--as", "bob", "--all"]).exitCode == 0)
        #expect(try d.run(["can", "erin", "view", "P000002"]).exitCode == 3)
        #expect(try d.run(["tag", "add", "P000001", "P000002", "hot", "q4", "--as", "bob"]).exitCode == 0)
        #expect(try d.run(["tag", "set", "P000001", "cold", "--as", "bob"]).exitCode == 0)
        #expect(
            try d.run(["customer", "show", "--format", "json", "--as", "bob", "P000001"]).stdout.contains(
                #""tags":["cold"]"#))
        #expect(
            try d.run(["customer", "show", "--format", "json", "--as", "bob", "P000002"]).stdout.contains(
                #""tags":["hot","q4"]"#))
        let types = try d.run(["log", "--format", "json", "--as", "bob"]).stdout
        for type in ["batch-share", "batch-unshare", "follow", "tag"] { #expect(types.contains(#""type":"\#(type)""#)) }

        try expectUnchanged(
            d, ["share", "P000001", "P000002", "--as", "erin", "--users", "fin"], exit: 1,
            mentions: "there is no customer 'P000001'")
        try expectUnchanged(
            d, ["share", "P000001", "--as", "bob", "--users", "nobody"], exit: 1, mentions: "which is not a user")
        try expectUnchanged(
            d, ["tag", "add", "P000001", "P000404", "x", "--as", "bob"], exit: 1,
            mentions: "there is no customer 'P000404'")
    }

    @Test("unique fields are enforced after normalisation, and a batch is all or nothing")
    func uniqueAndAtomic() throws {
        let d = try demo()
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=A", "email=li@example.com"])
                .exitCode == 0)
        try expectUnchanged(
            d, ["customer", "add", "--as", "bob", "--table", "individual", "name=B", "email=LI@Example.com"], exit: 1,
            mentions: "must be unique in the individual table of team 'sales'")
        #expect(try d.run(["customer", "add", "--as", "erin", "--table", "individual", "name=C"]).exitCode == 0)
        // bob may tag his own customer but not erin's: nothing at all is tagged.
        try expectUnchanged(
            d, ["tag", "add", "P000001", "P000002", "x", "--as", "bob"], exit: 1,
            mentions: "there is no customer 'P000002'")
    }

    @Test("import stores every row or none; --rejects keeps the refused rows, ready to fix")
    func importForReal() throws {
        let d = try demo()
        let accounts = d.dir.appendingPathComponent("accounts.csv").path
        let customers = CLI.repository.appendingPathComponent("Tests/ClienteleTests/Fixtures/imports/customers.jsonl")
            .path
        // Invalid rows refuse the whole file.
        try expectUnchanged(d, ["import", customers, "--as", "carol"], exit: 1, mentions: "nothing was imported")
        // Refused by the rules: bob may not import (only admins may, in the sales example).
        try expectUnchanged(
            d, ["import", accounts, "--table", "organization", "--as", "bob"], exit: 3, mentions: "nothing was imported"
        )
        #expect(try d.run(["import", "--dry-run", customers]).exitCode == 1, "a dry run needs no --as")
        try expectUnchanged(d, ["import", customers], exit: 1, mentions: "needs --as USER")

        let imported = try d.run(["import", accounts, "--table", "organization", "--as", "carol"])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        #expect(imported.stdout == "5 rows: 5 valid, 0 refused\n" && imported.stderr == "imported 5 customers\n")
        #expect(
            try d.run(["customer", "show", "--format", "json", "--as", "bob", "O000101"]).stdout.contains(
                #""name":"Acme Tools Co.""#))

        let rejects = d.dir.appendingPathComponent("rejects.jsonl").path
        let partial = try d.run(["import", customers, "--as", "carol", "--rejects", rejects])
        #expect(partial.exitCode == 0, "\(partial.stderr)")
        #expect(partial.stderr.contains("imported 3 customers; the 10 refused rows are in"))
        let kept = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
        #expect(kept.count == 10 && kept[0].hasPrefix(#"{"id":"P3""#), "the refused rows, as they were")
        #expect(try d.run(["log", "--type", "import", "--as", "carol"]).stdout.split(separator: "\n").count == 2)
        // Importing the same ids again is refused: they exist.
        try expectUnchanged(
            d, ["import", accounts, "--table", "organization", "--as", "carol"], exit: 1,
            mentions: "nothing was imported")
    }

    @Test(
        "on a terminal, import shows a progress bar, checking then storing, and clears it",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
    func progressBar() throws {
        let d = try demo()
        let command = [
            CLI.binary.path, "import", d.dir.appendingPathComponent("accounts.csv").path, "--table", "organization",
            "--as", "carol", "--config", d.config,
        ].map { "'\($0)'" }.joined(separator: " ")
        // script(1) runs the command on a pseudo-terminal; its output is what the terminal showed.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        process.environment = ProcessInfo.processInfo.environment.merging(CLI.environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let shown = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(shown)")
        #expect(shown.contains("] 50%") && shown.contains("] 100%"), "\(shown.debugDescription)")
        #expect(shown.contains("\r\u{1B}[K"), "the bar is cleared")
        #expect(shown.contains("imported 5 customers"))
        // Not on a terminal: no bar.
        let plain = try d.run([
            "import", d.dir.appendingPathComponent("accounts.csv").path, "--table", "organization", "--as", "carol",
        ])
        #expect(!plain.stderr.contains("%"), "\(plain.stderr)")
    }

    @Test("rows without an id are numbered after the highest number in the store and in the file")
    func importNumbering() throws {
        let d = try demo()
        #expect(
            try d.run(["customer", "add", "--as", "carol", "--table", "individual", "name=First"]).stdout.contains(
                "P000001"))
        let file = d.dir.appendingPathComponent("new.jsonl")
        try """
        {"team":"sales","table":"individual","fields":{"name":"No id","email":"Mixed@Example.COM"}}
        {"id":"P000205","team":"sales","table":"individual","fields":{"name":"Given"}}
        {"id":null,"team":"sales","table":"individual","fields":{"name":"Null id"}}
        {"team":"sales","table":"organization","fields":{"name":"An organization"}}

        """.write(to: file, atomically: true, encoding: .utf8)
        let imported = try d.run(["import", file.path, "--as", "carol"])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        for (id, name) in [
            ("P000206", "No id"), ("P000205", "Given"), ("P000207", "Null id"), ("O000001", "An organization"),
        ] {
            let shown = try d.run(["customer", "show", "--format", "json", "--as", "carol", id])
            #expect(
                shown.exitCode == 0 && shown.stdout.contains(#""name":"\#(name)""#),
                "\(id): \(shown.stdout)\(shown.stderr)")
        }
        #expect(
            try d.run(["customer", "show", "--format", "json", "--as", "carol", "P000206"]).stdout.contains(
                #""email":"mixed@example.com""#), "stored normalised")
        #expect(
            try d.run(["customer", "add", "--as", "carol", "--table", "individual", "name=Next"]).stdout.contains(
                "P000208"))
    }

    @Test("list and export show what the user may see, filtered, masked and arranged by views")
    func listAndExport() throws {
        let d = try demo()
        #expect(
            try d.run([
                "import", d.dir.appendingPathComponent("accounts.csv").path, "--table", "organization", "--as", "carol",
            ]).exitCode == 0)
        #expect(
            try d.run([
                "customer", "add", "--as", "bob", "--table", "individual", "name=Li Wang", "phone1=13800138000",
                "email=LI@Example.COM", "level=A",
            ]).exitCode == 0)

        // Values are stored normalised: e-mail lower-cased (standard field), website with a scheme (sales example).
        #expect(
            try d.run(["customer", "show", "--format", "json", "--as", "bob", "P000001"]).stdout.contains(
                #""email":"li@example.com""#))
        #expect(
            try d.run(["customer", "show", "--format", "json", "--as", "carol", "O000101"]).stdout.contains(
                #""website":"https://www.acme-tools.example.com""#))
        #expect(
            !(try d.run(["customer", "show", "--format", "json", "--as", "bob", "O000101"]).stdout.contains("website")),
            "sales reps read only the fields their field rule lists")

        #expect(
            try d.run(["customer", "list", "--as", "bob"]).stdout.split(separator: "\n").map {
                $0.dropFirst(2).prefix(7)
            } == ["O000101", "P000001"])
        #expect(
            try d.run(["customer", "list", "--as", "carol", "--where", #"customer.level == "A""#]).stdout.split(
                separator: "\n"
            ).count == 3)
        #expect(try d.run(["customer", "list", "--as", "carol", "--search", "HARBOR"]).stdout.hasPrefix("  O000102"))
        #expect(
            try d.run(["customer", "list", "--as", "carol", "--search", "0013 8000"]).stdout.hasPrefix("  P000001"),
            "phones by digits")
        #expect(try d.run(["customer", "list", "--as", "carol", "--tag", "trade-show"]).stdout.hasPrefix("  O000104"))
        let bad = try d.run(["customer", "list", "--as", "carol", "--where", #"customer.levle == "A""#])
        #expect(bad.exitCode == 1 && bad.stderr.contains("did you mean 'level'"))

        // fin (finance) has the phone and e-mail masks of the sales example.
        #expect(try d.run(["share", "P000001", "--as", "bob", "--roles", "finance"]).exitCode == 0)
        let masked = try d.run(["customer", "show", "--format", "json", "--as", "fin", "P000001"]).stdout
        #expect(masked.contains(#""phone1":"*******8000""#) && masked.contains(#""email":"l***@example.com""#))

        let view = try d.run([
            "customer", "show", "--format", "json", "--as", "carol", "O000101", "--view", "account-overview",
        ]).stdout
        let fields = (try JSONSerialization.jsonObject(with: Data(view.utf8)) as? [String: Any])?["fields"]
        #expect(fields != nil)
        #expect(view.range(of: #""name""#)!.lowerBound < view.range(of: #""budget""#)!.lowerBound, "the view's order")

        let csv = try d.run(["export", "--as", "carol", "--table", "organization", "--format", "csv"])
        #expect(csv.exitCode == 0)
        #expect(csv.stdout.hasPrefix("Id,Account executive,Service representative,Tags,Name,"))
        #expect(
            csv.stdout.split(separator: "\r\n").count == 5,
            "header and the four non-VIP accounts (carol is denied VIP export)")
        #expect(
            try d.run(["export", "--as", "bob"]).stdout.split(separator: "\n").count == 0,
            "export needs the export action")
    }

    @Test("a campaign view lets the agent change only the agent fields")
    func campaignView() throws {
        let d = try demo()
        #expect(
            try d.run([
                "customer", "add", "--as", "bob", "--table", "individual", "--package", "spring-2026", "name=Li",
            ]).exitCode == 0)
        try expectUnchanged(
            d, ["customer", "edit", "--as", "bob", "P000001", "name=Other", "--view", "spring-calls"], exit: 3,
            mentions: "lets agents change only description")
        #expect(
            try d.run(["customer", "edit", "--as", "bob", "P000001", "description=called", "--view", "spring-calls"])
                .exitCode == 0)
    }

    @Test("every other operation refuses without changing anything")
    func moreRefusalsAndBadInput() throws {
        let d = try demo()
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li"]).exitCode == 0)
        try expectUnchanged(
            d, ["customer", "follow", "--as", "erin", "P000001"], exit: 1, mentions: "there is no customer 'P000001'")
        try expectUnchanged(
            d, ["customer", "unfollow", "--as", "erin", "P000001"], exit: 1, mentions: "there is no customer 'P000001'")
        try expectUnchanged(
            d, ["customer", "follow", "--as", "bob", "P000404"], exit: 1, mentions: "there is no customer 'P000404'")
        try expectUnchanged(
            d, ["unshare", "P000001", "--as", "erin", "--all"], exit: 1, mentions: "there is no customer 'P000001'")
        try expectUnchanged(
            d, ["unshare", "P000001", "--as", "bob"], exit: 64, mentions: "--all, or --users, --departments or --roles")
        try expectUnchanged(d, ["share", "P000001", "--as", "bob"], exit: 1, mentions: "share with --users")
        try expectUnchanged(
            d, ["customer", "delete", "--as", "carol", "P000404"], exit: 1, mentions: "there is no customer 'P000404'")
        try expectUnchanged(
            d, ["customer", "edit", "--as", "bob", "P000001", "notfieldvalue"], exit: 64, mentions: "is not FIELD=VALUE"
        )
        try expectUnchanged(d, ["export", "--as", "carol", "--format", "csv"], exit: 64, mentions: "needs --table")
        try expectUnchanged(
            d, ["log", "--since", "yesterday", "--as", "bob"], exit: 64, mentions: "--since must be a date")
        try expectUnchanged(d, ["can", "nobody", "view", "P000001"], exit: 1, mentions: "no user 'nobody'")
        try expectUnchanged(d, ["visible", "nobody"], exit: 1, mentions: "no user 'nobody'")
        try expectUnchanged(
            d, ["customer", "list", "--as", "carol", "--view", "no-such-view"], exit: 1,
            mentions: "there is no view 'no-such-view'")
    }
}
