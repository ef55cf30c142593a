import ClienteleTestSupport
import Foundation
import Testing

/// The data administration people do every week, through the binary: each command's
/// success, its refusal (exit 3, the store unchanged) and bad input (exit 1 or 64,
/// the store unchanged).
@Suite("Data administration")
struct AdministrationTests {
    typealias Demo = StoreCommandTests.Demo

    /// The sales example (with the `extra` YAML file written beside it), applied, with
    /// customers added by `owners` (one each, in order).
    func demo(owners: [String] = [], extra: String? = nil) throws -> Demo {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        if let extra {
            try extra.write(to: dir.appendingPathComponent("extra.yaml"), atomically: true, encoding: .utf8)
        }
        let d = Demo(dir: dir)
        let applied = try d.run(["apply", "--as", "carol"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        for (n, owner) in owners.enumerated() {
            let level = n % 2 == 0 ? "B" : "C"
            let run = try d.run([
                "customer", "add", "--as", owner, "--table", "individual", "name=C\(n)", "level=\(level)",
            ])
            #expect(run.exitCode == 0, "\(run.stderr)")
        }
        return d
    }

    func json(_ run: CLIRun) throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    func owner(_ d: Demo, _ id: String) throws -> String? {
        try json(d.run(["customer", "show", id, "--as", "carol", "--format", "json"]))["account_executive"] as? String
    }

    // MARK: - Transfer

    @Test(
        "transfer: named customers change hands in one batch, each logged with from and to; the old owner is the previous one"
    )
    func transferNamed() throws {
        let d = try demo(owners: ["bob", "bob", "erin"])
        let run = try d.run(["customer", "transfer", "P000001", "P000003", "P000002", "--to", "dora", "--as", "carol"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(
            run.stdout == """
                transferred P000001, P000003, P000002 to dora
                account executives:
                  bob   loses 2
                  dora  gains 3
                  erin  loses 1

                """)
        for id in ["P000001", "P000002", "P000003"] { #expect(try owner(d, id) == "dora") }
        let shown = try json(d.run(["customer", "show", "P000003", "--as", "carol", "--format", "json"]))
        #expect(shown["previous_account_executive"] as? String == "erin")
        #expect(shown["claimed_at"] as? String == "2026-11-23T10:00:00Z")
        #expect(shown["modified_by"] as? String == "carol")
        let log = try d.run(["log", "P000003", "--as", "carol", "--format", "json"])
        let entries = (try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]]) ?? []
        let transfer = entries.first { $0["type"] as? String == "transfer" }
        #expect(transfer?["customers"] as? [String] == ["P000003"], "one entry per customer")
        let changes = transfer?["changes"] as? [[String: Any]] ?? []
        #expect(
            changes.contains {
                $0["field"] as? String == "account_executive" && $0["from"] as? String == "erin"
                    && $0["to"] as? String == "dora"
            }, "\(changes)")
        // The new owner sees them; bob no longer does.
        #expect(try d.run(["customer", "show", "P000001", "--as", "dora"]).exitCode == 0)
        #expect(try d.run(["customer", "show", "P000001", "--as", "bob"]).exitCode == 1)
        // Again: nothing to do.
        let again = try d.run(["customer", "transfer", "P000001", "--to", "dora", "--as", "carol"])
        #expect(again.exitCode == 0)
        #expect(again.stdout == "nothing to transfer: P000001 already is as asked\n")
    }

    @Test(
        "transfer: a refusal on any customer leaves every customer as it was (exit 3), and says nothing of hidden ones")
    func transferRefused() throws {
        let d = try demo(owners: ["bob", "bob"])
        let before = try d.snapshot()
        // Only admins assign: bob may not give his own customers away.
        let refused = try d.run(["customer", "transfer", "P000001", "P000002", "--to", "dora", "--as", "bob"])
        #expect(refused.exitCode == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("bob may not transfer P000001"), "\(refused.stderr)")
        // A customer erin may not view is one that does not exist.
        let hidden = try d.run(["customer", "transfer", "P000001", "--to", "erin", "--as", "erin"])
        let missing = try d.run(["customer", "transfer", "P000099", "--to", "erin", "--as", "erin"])
        #expect(hidden.exitCode == missing.exitCode)
        #expect(hidden.stderr == missing.stderr.replacingOccurrences(of: "P000099", with: "P000001"))
        #expect(try d.snapshot() == before)
    }

    @Test("transfer: bad input changes nothing; a customer in a pool is given an owner by 'pool assign'")
    func transferBadInput() throws {
        let d = try demo(owners: ["bob", "bob"])
        #expect(try d.run(["pool", "return", "P000002", "--as", "bob", "--reason", "unreachable"]).exitCode == 0)
        let before = try d.snapshot()
        for (arguments, code, message) in [
            (["P000001", "--to", "nobody"], Int32(1), "no user 'nobody'"),
            (["P000001", "--to", "dora", "--service-rep", "nobdy"], 1, "no user 'nobdy'"),
            (["P000001", "P000099", "--to", "dora"], 1, "there is no customer 'P000099'"),
            (
                ["P000001", "P000002", "--to", "dora"], 1,
                "P000002 sits in pool 'east-sea': 'clientele pool assign P000002 --to dora'"
            ),
            (["--where", "customer.level ==", "--to", "dora"], 1, "--where, at character"),
            (["--to", "dora"], 64, "name the customers to transfer, or select them with --where"),
            (["P000001", "--where", "true", "--to", "dora"], 64, "not both"),
            (["P000001"], 64, "--to"),
        ] {
            let run = try d.run(["customer", "transfer", "--as", "carol"] + arguments)
            #expect(run.exitCode == code, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(try d.snapshot() == before)
    }

    @Test("transfer --where: counted, shown by --dry-run, confirmed with --yes when there is no terminal")
    func transferSelection() throws {
        let d = try demo(owners: ["bob", "dora", "bob", "erin"])
        let before = try d.snapshot()
        let selection = [
            "customer", "transfer", "--where", #"customer.level == "B""#, "--to", "alice", "--as", "carol",
        ]
        let dry = try d.run(selection + ["--dry-run", "--service-rep", "erin"])
        #expect(dry.exitCode == 0, "\(dry.stderr)")
        #expect(
            dry.stdout == """
                would transfer P000001, P000003 to alice; nothing was changed (dry run)
                account executives:
                  alice  gains 2
                  bob    loses 2
                service representatives:
                  erin  gains 2

                """)
        let unasked = try d.run(selection)
        #expect(unasked.exitCode == 1)
        #expect(unasked.stderr.contains("there is no terminal to ask on"), "\(unasked.stderr)")
        #expect(unasked.stderr.contains("--where 'customer.level == \"B\"' --to alice --as carol"), "\(unasked.stderr)")
        #expect(try d.snapshot() == before)
        let done = try d.run(selection + ["--yes", "--format", "json"])
        #expect(done.exitCode == 0, "\(done.stderr)")
        let outcome = try json(done)
        #expect(outcome["transferred"] as? [String] == ["P000001", "P000003"])
        #expect(outcome["dry_run"] as? Bool == false)
        #expect(try owner(d, "P000002") == "dora")
        #expect(try owner(d, "P000003") == "alice")
        let none = try d.run([
            "customer", "transfer", "--where", #"customer.level == "A""#, "--to", "alice", "--as", "carol",
        ])
        #expect(none.exitCode == 0)
        #expect(none.stdout.contains("no customer carol may transfer matches"))
    }

    // MARK: - Validation rules

    @Test(
        "validation rules: add, edit and import refuse a record that breaks one, naming its field; the store is unchanged"
    )
    func validationRulesEnforced() throws {
        let d = try demo()
        let before = try d.snapshot()
        let refusal = "column seats: A VIP organization needs its seat count (validation rule 'vip-needs-seats')"
        let added = try d.run([
            "customer", "add", "--as", "carol", "--table", "organization", "name=Acme", "level=VIP",
        ])
        #expect(added.exitCode == 1)
        #expect(added.stderr == "error: \(refusal)\n", "\(added.stderr)")
        #expect(try d.snapshot() == before)
        let kept = try d.run([
            "customer", "add", "--as", "carol", "--table", "organization", "name=Acme", "level=VIP", "seats=10",
        ])
        #expect(kept.exitCode == 0, "\(kept.stderr)")
        let stored = try d.snapshot()
        // Only the VIP desk sees VIP customers (the sales example's rules).
        let edited = try d.run(["customer", "edit", "--as", "vera", "O000001", "seats="])
        #expect(edited.exitCode == 1)
        #expect(edited.stderr.contains(refusal), "\(edited.stderr)")
        #expect(try d.snapshot() == stored)
        #expect(
            try d.run(["customer", "edit", "--as", "vera", "O000001", "seats=", "level=A"]).exitCode == 0
        )
        let csv = d.dir.appendingPathComponent("signed.csv")
        try "Name,Organization level,Seats\nOne,VIP,5\nTwo,VIP,\n".write(to: csv, atomically: true, encoding: .utf8)
        let afterEdit = try d.snapshot()
        let imported = try d.run(["import", csv.path, "--as", "carol", "--table", "organization"])
        #expect(imported.exitCode == 1)
        #expect(
            imported.stdout.contains(
                "row 3, column Seats: A VIP organization needs its seat count (validation rule 'vip-needs-seats')"),
            "\(imported.stdout)")
        #expect(try d.snapshot() == afterEdit)
    }

    @Test(
        "validation rules read an import row with its defaults filled in, as add stores it; an edit that clears reads none"
    )
    func validationRulesAndDefaults() throws {
        let d = try demo(
            extra: """
                fields:
                  - { identity: stage, display: Stage, team: sales, table: individual, type: select, options: [open, won], default: won }
                  - { identity: amount, display: Amount, team: sales, table: individual, type: decimal }
                validation_rules:
                  - id: won-needs-amount
                    table: individual
                    when: 'customer.stage == "won" and not has(customer.amount)'
                    message: Amount is required when the stage is won
                    fields: [amount]
                """)
        let before = try d.snapshot()
        let csv = d.dir.appendingPathComponent("people.csv")
        try "Name,Amount\nAnn,10\nBen,\n".write(to: csv, atomically: true, encoding: .utf8)
        let imported = try d.run(["import", csv.path, "--as", "carol", "--table", "individual"])
        #expect(imported.exitCode == 1)
        #expect(
            imported.stdout.contains("row 3, column Amount: Amount is required when the stage is won"),
            "\(imported.stdout)")
        let added = try d.run(["customer", "add", "--as", "carol", "--table", "individual", "name=Cai"])
        #expect(added.exitCode == 1)
        #expect(added.stderr.contains("column amount: Amount is required when the stage is won"), "\(added.stderr)")
        #expect(try d.snapshot() == before)
        let open = try d.run(["customer", "add", "--as", "carol", "--table", "individual", "name=Cai", "stage=open"])
        #expect(open.exitCode == 0, "\(open.stderr)")
        #expect(try d.run(["customer", "edit", "--as", "carol", "P000001", "stage="]).exitCode == 0)
    }

    // MARK: - Describe

    @Test("describe: each field of the applied version with its type, options, packages and who reads and writes it")
    func describe() throws {
        let d = try demo()
        let text = try d.run(["describe", "--table", "organization"])
        #expect(text.exitCode == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("the organization table of team 'sales'\n  name (Name): input; required\n"))
        // The field rule budget-for-managers lets sales reps read a few organization fields only; finance sees e-mail masked.
        #expect(
            text.stdout.contains(
                "  budget (Budget): decimal\n    packages: trade-show\n    read: carol, alice, frank, vera, fin; write: carol, alice, frank, vera, fin\n"
            ), "\(text.stdout)")
        #expect(text.stdout.contains("  level (Organization level): select; options: A, B, C, VIP\n"))
        #expect(text.stdout.contains("read: carol, alice, frank, vera; masked: fin;"))
        // A package's own field is listed under the package.
        #expect(
            text.stdout.contains(
                "package 'trade-show' (the organization table of team 'sales')\n  leadSource (Lead source): select; options: booth, talk, partner\n"
            ), "\(text.stdout)")
        let csv = try d.run(["describe", "--package", "spring-2026", "--format", "csv"])
        #expect(csv.exitCode == 0)
        let lines = csv.stdout.components(separatedBy: "\r\n")
        #expect(
            lines.first
                == "Team,Table,Package,Identity,Display,Type,Required,Unique,Hidden,Options,Packages,Read,Masked,Write")
        #expect(
            lines.contains(
                "sales,individual,spring-2026,level,Level,select,false,false,false,A;B;C;VIP,spring-2026,everyone,,everyone"
            ))
        let json = try d.run(["describe", "--format", "json", "--table", "individual"])
        let fields = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]) ?? []
        let email = fields.first { $0["identity"] as? String == "email" && $0["package"] is NSNull }
        #expect(email?["unique"] as? Bool == true)
        #expect(email?["packages"] as? [String] == ["spring-2026"])
        #expect(email?["masked"] as? [String] == ["fin"])
        for (arguments, message) in [
            (["--package", "nope"], "there is no package 'nope'"),
            (["--package", "spring-2026", "--table", "organization"], "belongs to the individual table"),
            (["--team", "salse"], "there is no team 'salse'; did you mean 'sales'?"),
            (["--team", "sales", "--package", "nope"], "there is no package 'nope'"),
        ] {
            let run = try d.run(["describe"] + arguments)
            #expect(run.exitCode == 1, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(try d.run(["describe", "--format", "yaml"]).exitCode == 64)
    }

    // MARK: - Recycle bin

    @Test("the bin: a deleted customer is listed, restored exactly, deleted again and purged; numbers stay retired")
    func binRoundTrip() throws {
        let d = try demo(owners: ["bob", "bob"])
        let original = try d.run(["customer", "show", "P000001", "--as", "carol", "--format", "json"]).stdout
        let deleted = try d.run(["customer", "delete", "P000001", "--as", "carol"])
        #expect(
            deleted.stdout == "deleted P000001; it stays in the bin 30 days ('clientele customer restore P000001')\n")
        let listed = try d.run(["bin", "list", "--as", "carol"])
        #expect(
            listed.stdout
                == "P000001  deleted 2026-11-23T10:00:00Z by carol, until 2026-12-23T10:00:00Z  name=C0\n")
        // Only whom the rules allow restore see it: bob owned it, but only admins restore.
        #expect(try d.run(["bin", "list", "--as", "bob"]).stdout == "the bin holds no customer bob may restore\n")
        // A new customer takes a new number.
        let added = try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=New"])
        #expect(added.stdout == "P000003\n")
        let restored = try d.run(["customer", "restore", "P000001", "--as", "carol"])
        #expect(restored.exitCode == 0, "\(restored.stderr)")
        #expect(restored.stdout == "restored P000001\n")
        #expect(try d.run(["customer", "show", "P000001", "--as", "carol", "--format", "json"]).stdout == original)
        #expect(try d.run(["bin", "list", "--as", "carol"]).stdout == "the bin holds no customer carol may restore\n")
        #expect(try CLI.run(["store", "verify", "--config", d.config]).exitCode == 0)
        // Deleted again, then purged: no longer restorable; the log keeps the history.
        #expect(try d.run(["customer", "delete", "P000001", "--as", "carol"]).exitCode == 0)
        #expect(try d.run(["bin", "purge", "--as", "carol", "--dry-run"]).stdout.contains("would purge P000001"))
        #expect(
            try d.run(["bin", "purge", "--as", "carol", "--older-than", "1", "--yes"]).stdout == "nothing to purge\n")
        let purged = try d.run(["bin", "purge", "--as", "carol", "--yes"])
        #expect(purged.stdout == "purged P000001 from the bin\n", "\(purged.stderr)")
        let gone = try d.run(["customer", "restore", "P000001", "--as", "carol"])
        #expect(gone.exitCode == 1)
        #expect(gone.stderr == "error: there is no customer 'P000001' in the bin\n")
        let log = try d.run(["log", "P000001", "--as", "carol", "--format", "json"])
        let types =
            ((try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap {
                $0["type"] as? String
            }
        #expect(types == ["create", "delete", "restore", "delete", "purge"])
    }

    @Test("the bin: refusals and bad input leave the store as it was; a customer one may not see is not in the bin")
    func binRefusals() throws {
        let d = try demo(owners: ["bob", "bob"])
        #expect(try d.run(["customer", "delete", "P000001", "--as", "carol"]).exitCode == 0)
        let before = try d.snapshot()
        let bob = try d.run(["customer", "restore", "P000001", "--as", "bob"])
        #expect(bob.exitCode == 3, "bob could see it as it last stood, but only admins restore")
        #expect(bob.stderr.contains("bob may not restore P000001"), "\(bob.stderr)")
        let erin = try d.run(["customer", "restore", "P000001", "--as", "erin"])
        let missing = try d.run(["customer", "restore", "P000099", "--as", "erin"])
        #expect(erin.exitCode == 1)
        #expect(erin.stderr == missing.stderr.replacingOccurrences(of: "P000099", with: "P000001"))
        let stored = try d.run(["customer", "restore", "P000002", "--as", "carol"])
        #expect(stored.exitCode == 1)
        #expect(stored.stderr.contains("P000002 is not in the bin: it is a stored customer"))
        let hiddenStored = try d.run(["customer", "restore", "P000002", "--as", "erin"])
        #expect(hiddenStored.stderr == missing.stderr.replacingOccurrences(of: "P000099", with: "P000002"))
        let purge = try d.run(["bin", "purge", "--as", "bob", "--yes"])
        #expect(purge.exitCode == 3)
        #expect(try d.run(["bin", "purge", "--as", "carol"]).exitCode == 1, "no terminal to confirm on")
        #expect(try d.run(["bin", "purge", "--as", "carol", "--older-than", "-1"]).exitCode == 64)
        #expect(try d.snapshot() == before)
        // The retention is part of the config: a change to it is planned.
        let project = d.dir.appendingPathComponent("clientele.yaml")
        let text = try String(contentsOf: project, encoding: .utf8)
        try (text + "bin: { days: 7 }\n").write(to: project, atomically: true, encoding: .utf8)
        let plan = try d.run(["plan"])
        #expect(plan.stdout.contains("~ bin days"), "\(plan.stdout)")
        try text.write(to: project, atomically: true, encoding: .utf8)
        // Past the retention, it has left the bin.
        let late = try CLI.run(["bin", "list", "--as", "carol", "--config", d.config, "--now", "2026-12-24T10:00:00Z"])
        #expect(late.stdout == "the bin holds no customer carol may restore\n")
    }

    // MARK: - Mass edit

    @Test("edit several: one batch, one edit log entry per customer; --where is counted and confirmed")
    func massEdit() throws {
        let d = try demo(owners: ["bob", "bob", "erin"])
        let run = try d.run(["customer", "edit", "P000001", "P000002", "level=A", "--as", "bob"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stdout == "edited P000001, P000002: 2 fields changed\n")
        for id in ["P000001", "P000002"] {
            let log = try d.run(["log", id, "--as", "carol", "--format", "json"])
            let entries = (try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]]) ?? []
            let edits = entries.filter { $0["type"] as? String == "edit" }
            #expect(edits.count == 1)
            #expect(edits.first?["customers"] as? [String] == [id])
        }
        let again = try d.run(["customer", "edit", "P000001", "P000002", "level=A", "--as", "bob"])
        #expect(again.stdout == "nothing changed: the values were already so\n")
        // A selection: without a terminal it asks for --yes and changes nothing.
        let before = try d.snapshot()
        let selection = ["customer", "edit", "--where", #"customer.level == "A""#, "level=C", "--as", "carol"]
        let unasked = try d.run(selection)
        #expect(unasked.exitCode == 1)
        #expect(unasked.stderr.contains("'clientele customer list' with the same selection"), "\(unasked.stderr)")
        #expect(try d.snapshot() == before)
        let done = try d.run(selection + ["--yes"])
        #expect(done.exitCode == 0, "\(done.stderr)")
        #expect(done.stdout == "edited P000001, P000002: 2 fields changed\n")
        let none = try d.run(selection + ["--yes"])
        #expect(none.stdout == "no customer carol may edit matches; nothing changed\n")
    }

    @Test("edit several: a refusal or a bad value on any customer leaves every customer as it was")
    func massEditRefusedAndBadInput() throws {
        let d = try demo(owners: ["bob", "bob", "dora"])
        #expect(try d.run(["share", "P000001", "--users", "dora", "--as", "bob"]).exitCode == 0)
        let before = try d.snapshot()
        // dora sees P000001 through the share, but only its owner edits it.
        let refused = try d.run(["customer", "edit", "P000003", "P000001", "level=A", "--as", "dora"])
        #expect(refused.exitCode == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("dora may not edit P000001"), "\(refused.stderr)")
        // A customer dora may not see is one that does not exist.
        let hidden = try d.run(["customer", "edit", "P000003", "P000002", "level=A", "--as", "dora"])
        #expect(hidden.exitCode == 1)
        #expect(hidden.stderr == "error: there is no customer 'P000002'\n")
        for (arguments, code, message) in [
            (["P000001", "P000002", "levle=A"], Int32(1), "has no field 'levle'; did you mean 'level'?"),
            (["P000001", "P000002", "level=Q"], 1, "expects one of A, B, C, VIP"),
            (["P000001", "P000002", "name="], 1, "name"),
            (
                ["P000001", "P000002", "email=same@example.com"], 1,
                "P000002: column email: the value is already given to P000001"
            ),
            (["P000001", "P000002"], 64, "'P000002' is not FIELD=VALUE"),
            (["level=A"], 64, "name the customers to edit, or select them with --where"),
            (["P000001", "--where", "true", "level=A"], 64, "not both"),
            (["P000001", "P000002", "--view", "x", "level=A"], 64, "--view edits one customer"),
            (["--where", "customer.level ==", "level=A", "--yes"], 1, "--where"),
        ] {
            let run = try d.run(["customer", "edit", "--as", "bob"] + arguments)
            #expect(run.exitCode == code, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(try d.snapshot() == before)
    }

    // MARK: - Saved lists

    static let lists = """
        lists:
          - id: by-level
            name: By level
            table: individual
            where: 'customer.level != "VIP"'
            columns: [level, name, account_executive]
            sort: [-level, name]
          - id: managers-only
            table: individual
            visible_to: { roles: [sales-manager] }
          - id: org-emails
            table: organization
            where: 'has(customer.email)'
          - id: by-seats
            table: organization
            columns: [name, seats]
            sort: [-seats]
        """

    @Test("saved lists: opened by whom they are shown to, filtered, sorted and narrowed to their columns")
    func savedLists() throws {
        let d = try demo(owners: ["bob", "bob", "bob"], extra: Self.lists)
        #expect(try d.run(["customer", "edit", "P000002", "name=Aaron", "--as", "bob"]).exitCode == 0)
        let listed = try d.run(["customer", "lists", "--as", "bob"])
        #expect(listed.exitCode == 0, "\(listed.stderr)")
        #expect(
            listed.stdout.split(separator: "\n").contains {
                $0.hasPrefix("by-level ") && $0.hasSuffix("  By level (individual)")
            }, "\(listed.stdout)")
        #expect(!listed.stdout.contains("managers-only"), "shown only to sales managers")
        #expect(try d.run(["customer", "lists", "--as", "alice"]).stdout.contains("managers-only"))
        let opened = try d.run(["customer", "list", "--list", "by-level", "--as", "bob"])
        #expect(opened.exitCode == 0, "\(opened.stderr)")
        #expect(
            opened.stdout == """
                  P000002  level=C  name=Aaron  account_executive=bob
                  P000001  level=B  name=C0  account_executive=bob
                  P000003  level=B  name=C2  account_executive=bob

                """)
        let json = try d.run(["customer", "list", "--list", "by-level", "--as", "bob", "--format", "json"])
        let documents = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(documents.compactMap { ($0["fields"] as? [String: Any])?.keys.sorted() }.first == ["level", "name"])
        // --where and the other filters narrow a list further.
        let narrowed = try d.run([
            "customer", "list", "--list", "by-level", "--as", "bob", "--where", #"customer.level == "B""#,
        ])
        #expect(narrowed.stdout.components(separatedBy: "\n").filter { !$0.isEmpty }.count == 2)
        // A list one is not shown is one that does not exist.
        let hidden = try d.run(["customer", "list", "--list", "managers-only", "--as", "bob"])
        let missing = try d.run(["customer", "list", "--list", "managers-onyl", "--as", "bob"])
        #expect(hidden.exitCode == 1)
        #expect(hidden.stderr == "error: there is no list 'managers-only'\n")
        #expect(!missing.stderr.contains("did you mean"), "\(missing.stderr)")
        #expect(try d.run(["customer", "list", "--list", "managers-only", "--as", "alice"]).exitCode == 0)
    }

    @Test("saved lists: a filter over a field the user may not read is refused; bad input is named")
    func savedListRefusals() throws {
        let d = try demo(owners: [], extra: Self.lists)
        let org = try d.run([
            "customer", "add", "--as", "carol", "--table", "organization", "name=Org", "email=o@example.com",
            "account_executive=bob",
        ])
        #expect(org.exitCode == 0, "\(org.stderr)")
        // The field rules let sales reps read an organization's name, level, place and seats only.
        let refused = try d.run(["customer", "list", "--list", "org-emails", "--as", "bob"])
        #expect(refused.exitCode == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("list 'org-emails' reads 'email', which bob may not read"), "\(refused.stderr)")
        #expect(try d.run(["customer", "list", "--list", "org-emails", "--as", "carol"]).stdout.contains("Org"))
        for (name, seats) in [("Forty", 40), ("Big", 1200), ("Mid", 250)] {
            let added = try d.run([
                "customer", "add", "--as", "carol", "--table", "organization", "name=\(name)", "seats=\(seats)",
            ])
            #expect(added.exitCode == 0, "\(added.stderr)")
        }
        let bySeats = try d.run(["customer", "list", "--list", "by-seats", "--as", "carol"])
        #expect(
            bySeats.stdout.components(separatedBy: "\n").compactMap {
                $0.components(separatedBy: "seats=").dropFirst().first
            }
                == ["1200", "250", "40"], "numbers sort as numbers: \(bySeats.stdout)")
        let bad = try d.run(["customer", "list", "--list", "by-level", "--as", "bob", "--where", "customer.level =="])
        #expect(bad.exitCode == 1)
        #expect(bad.stderr.contains("--where, at character"), "\(bad.stderr)")
        #expect(try d.run(["customer", "lists", "--as", "nobody"]).exitCode == 1)
    }

    // MARK: - Upsert import

    func write(_ text: String, _ name: String, in d: Demo) throws -> String {
        let url = d.dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test(
        "import --update: rows matched by a unique field change only their columns, logged as edits; others are added")
    func upsert() throws {
        let d = try demo()
        for n in 1...3 {
            let added = try d.run([
                "customer", "add", "--as", "carol", "--table", "individual", "name=C\(n)", "email=c\(n)@example.com",
                "level=B",
            ])
            #expect(added.exitCode == 0, "\(added.stderr)")
        }
        let file = try write(
            "email,level,name\nc1@example.com,A,\nC2@Example.COM,C,\nnew@example.com,A,Newbie\nc3@example.com,B,\n",
            "update.csv", in: d)
        let arguments = ["import", file, "--table", "individual", "--update", "--match", "email", "--as", "carol"]
        let before = try d.snapshot()
        let dry = try d.run(arguments + ["--dry-run"])
        #expect(dry.exitCode == 0, "\(dry.stderr)")
        #expect(dry.stdout == "4 rows: 1 would be inserted, 2 would be updated, 1 unchanged, 0 refused\n")
        #expect(try d.snapshot() == before)
        let run = try d.run(arguments)
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stdout == "4 rows: 1 inserted, 2 updated, 1 unchanged, 0 refused\n")
        let shown = try json(d.run(["customer", "show", "P000002", "--as", "carol", "--format", "json"]))
        #expect((shown["fields"] as? [String: Any])?["level"] as? String == "C")
        #expect((shown["fields"] as? [String: Any])?["name"] as? String == "C2", "an empty cell changes nothing")
        let log = try d.run(["log", "P000002", "--as", "carol", "--format", "json"])
        let entries = (try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(entries.last?["type"] as? String == "edit")
        #expect(entries.last?["reason"] as? String == "update.csv")
        #expect(
            try json(d.run(["customer", "show", "P000004", "--as", "carol", "--format", "json"]))["id"] as? String
                == "P000004")
        // By id, from JSON Lines: null clears a field.
        let lines = try write(
            #"{"id":"P000001","fields":{"level":null}}"# + "\n" + #"{"id":"P000003","fields":{"level":"C"}}"# + "\n",
            "update.jsonl", in: d)
        let byId = try d.run(["import", lines, "--update", "--as", "carol", "--format", "json"])
        #expect(byId.exitCode == 0, "\(byId.stderr)")
        let outcome = try json(byId)
        #expect(outcome["updated"] as? Int == 2)
        #expect(outcome["stored"] as? Bool == true)
        let cleared = try json(d.run(["customer", "show", "P000001", "--as", "carol", "--format", "json"]))
        #expect((cleared["fields"] as? [String: Any])?["level"] == nil)
    }

    @Test("import --update: a refused or bad row leaves the store as it was, naming its row and column")
    func upsertRefusals() throws {
        let d = try demo(owners: ["bob", "bob", "erin"])
        let before = try d.snapshot()
        // bob may edit his own customers; P000003 is erin's, which bob may not see.
        let file = try write("id,level\nP000001,A\nP000003,A\n", "rows.csv", in: d)
        let hidden = try d.run(["import", file, "--table", "individual", "--update", "--as", "bob"])
        #expect(hidden.exitCode == 1, "\(hidden.stderr)")
        // As in a plain import: an id the store holds is taken, whoever may see it.
        #expect(hidden.stdout.contains("row 3, column id: id 'P000003' is taken in the store"), "\(hidden.stdout)")
        #expect(hidden.stderr.contains("nothing was imported"))
        // dora sees P000001 through a share, but may not edit it.
        #expect(try d.run(["share", "P000001", "--users", "dora", "--as", "bob"]).exitCode == 0)
        let shared = try d.snapshot()
        let refused = try d.run(["import", file, "--table", "individual", "--update", "--as", "dora"])
        #expect(refused.exitCode == 3 || refused.exitCode == 1, "\(refused.stderr)")
        #expect(refused.stdout.contains("row 2: dora may not edit P000001"), "\(refused.stdout)")
        #expect(try d.snapshot() == shared)
        for (text, options, code, message) in [
            ("id,level\nP000001,Q\n", [String](), Int32(1), "row 2, column level: 'level' (Level) expects one of"),
            ("id,levle\nP000001,A\n", [], 1, "levle"),
            ("name,level\nX,A\n", ["--match", "name"], 1, "'name' is not a unique field"),
            ("email,level\nx@example.com,A\n", ["--match", "email"], 3, "row 2: bob may not import"),
            (
                "email,level,name\nnew@example.com,A,N\nNEW@example.com,B,M\n", ["--match", "email"], 1,
                "row 3, column email: the value is already given to row 2 in this batch"
            ),
        ] {
            let path = try write(text, "bad.csv", in: d)
            var arguments = ["import", path, "--table", "individual", "--update", "--as", "bob"] + options
            if message.contains("already given") { arguments[arguments.count - 3] = "carol" }
            let run = try d.run(arguments)
            #expect(run.exitCode == code, "\(text): \(run.stdout) \(run.stderr)")
            #expect((run.stdout + run.stderr).contains(message), "\(text): \(run.stdout) \(run.stderr)")
        }
        #expect(try d.snapshot() == shared)
        #expect(try d.run(["import", file, "--table", "individual", "--match", "email", "--as", "bob"]).exitCode == 64)
        // erin's customer holds an e-mail: to bob, a row matching it finds a value in use, not a customer.
        #expect(try d.run(["customer", "edit", "P000003", "email=erin@example.com", "--as", "erin"]).exitCode == 0)
        let matched = try write("email,level\nerin@example.com,A\n", "match.csv", in: d)
        let hiddenMatch = try d.run([
            "import", matched, "--table", "individual", "--update", "--match", "email", "--as", "bob", "--format",
            "json",
        ])
        #expect(hiddenMatch.exitCode == 1)
        #expect(hiddenMatch.stdout.contains("the value is already in use"), "\(hiddenMatch.stdout)")
        #expect(!hiddenMatch.stdout.contains("P000003"), "\(hiddenMatch.stdout)")
        let stored = try d.snapshot()
        for (text, message) in [
            (
                #"{"id":"P000001","fields":{"name":"X"}}"# + "\n" + #"{"id":"P000001","fields":{"level":"C"}}"#,
                "which row 1 changes: one row per customer"
            ),
            (
                #"{"id":"P000001","tags":["new"],"fields":{"level":"C"}}"#,
                "column tags: --update changes fields and owners"
            ),
        ] {
            let path = try write(text + "\n", "rows.jsonl", in: d)
            let run = try d.run(["import", path, "--update", "--as", "bob"])
            #expect(run.exitCode == 1, "\(text): \(run.stdout)")
            #expect(run.stdout.contains(message), "\(text): \(run.stdout)")
        }
        #expect(try d.snapshot() == stored)
        // An id given and a number assigned never collide.
        let numbered = try write(
            #"{"id":"P000009","team":"sales","table":"individual","fields":{"name":"Given"}}"# + "\n"
                + #"{"team":"sales","table":"individual","fields":{"name":"Numbered"}}"# + "\n"
                + #"{"team":"sales","table":"individual","fields":{"name":"Next"}}"# + "\n", "new.jsonl", in: d)
        let added = try d.run(["import", numbered, "--update", "--as", "carol", "--format", "json"])
        #expect(added.exitCode == 0, "\(added.stdout) \(added.stderr)")
        #expect(try json(added)["inserted"] as? Int == 3)
        for id in ["P000004", "P000005", "P000009"] {
            #expect(try d.run(["customer", "show", id, "--as", "carol"]).exitCode == 0, "\(id)")
        }
        _ = before
    }

    // MARK: - Duplicates

    @Test("customer duplicates: groups by normalised phone and by similar names, among what the user may read")
    func duplicates() throws {
        let d = try demo()
        for (owner, phone) in [
            ("bob", "555-123-4567"), ("bob", "(555) 1234567"), ("erin", "555 123 4567"), ("bob", "5559999999"),
        ] {
            let added = try d.run([
                "customer", "add", "--as", owner, "--table", "individual", "name=P", "phone1=\(phone)",
            ])
            #expect(added.exitCode == 0, "\(added.stderr)")
        }
        for name in ["Acme Corporation", "Acme Corporations", "Zenith"] {
            let added = try d.run(["customer", "add", "--as", "carol", "--table", "organization", "name=\(name)"])
            #expect(added.exitCode == 0, "\(added.stderr)")
        }
        let all = try d.run(["customer", "duplicates", "--as", "carol"])
        #expect(all.exitCode == 0, "\(all.stderr)")
        #expect(
            all.stdout == """
                same-phone  "5551234567"  P000001, P000002, P000003
                similar-names  "acme corporation"  O000001, O000002
                2 groups of duplicates, 5 customers

                """)
        // bob sees his own customers only; erin's is not in his group.
        let bob = try d.run(["customer", "duplicates", "--as", "bob", "--rule", "same-phone", "--format", "json"])
        let groups = (try JSONSerialization.jsonObject(with: Data(bob.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(groups.map { $0["customers"] as? [String] ?? [] } == [["P000001", "P000002"]], "\(bob.stdout)")
        #expect(
            try d.run(["customer", "duplicates", "--as", "erin"]).stdout
                == "no duplicates among the customers erin may see\n")
        let unknown = try d.run(["customer", "duplicates", "--as", "carol", "--rule", "same-phon"])
        #expect(unknown.exitCode == 1)
        #expect(unknown.stderr == "error: there is no duplicate rule 'same-phon'; did you mean 'same-phone'?\n")
    }

    @Test(
        "add and import: a new customer alike stored ones is warned of, naming those the user may see; a refusing rule refuses it"
    )
    func duplicatesOnAdd() throws {
        let d = try demo(
            extra: """
                duplicates:
                  - { id: same-name, table: individual, match: [name], normalize: lowercase, on_add: refuse }
                """)
        let first = try d.run([
            "customer", "add", "--as", "bob", "--table", "individual", "name=Li", "phone1=555-123-4567",
        ])
        #expect(first.exitCode == 0 && first.stderr.isEmpty, "\(first.stderr)")
        // The same phone, written otherwise: stored, with a warning naming bob's customer.
        let warned = try d.run([
            "customer", "add", "--as", "bob", "--table", "individual", "name=Wang", "phone1=(555) 1234567",
            "--format", "json",
        ])
        #expect(warned.exitCode == 0, "\(warned.stderr)")
        #expect(warned.stderr == "warning: P000002 may duplicate P000001 (duplicate rule 'same-phone')\n")
        let duplicates = try json(warned)["duplicates"] as? [[String: Any]]
        #expect(duplicates?.first?["customers"] as? [String] == ["P000001"], "\(warned.stdout)")
        // erin may not see bob's customers: she is told nothing of them.
        let erin = try d.run([
            "customer", "add", "--as", "erin", "--table", "individual", "name=Zhao", "phone1=5551234567",
        ])
        #expect(erin.exitCode == 0 && erin.stderr.isEmpty, "\(erin.stderr)")
        // A refusing rule refuses whoever adds it; only a customer the user may see is named.
        let before = try d.snapshot()
        let hidden = try d.run(["customer", "add", "--as", "erin", "--table", "individual", "name=LI"])
        #expect(hidden.exitCode == 1)
        #expect(
            hidden.stderr
                == "error: column name: matches a stored customer by duplicate rule 'same-name', which refuses new customers that do\n"
        )
        let named = try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name= li "])
        #expect(named.exitCode == 1)
        #expect(named.stderr.contains("column name: matches P000001 by duplicate rule 'same-name'"), "\(named.stderr)")
        #expect(try d.snapshot() == before)
        // An import: a row like a stored customer is warned of, a row like an earlier row of a
        // refusing rule is refused; its dry run says the same.
        let file = try write("name,phone1\nQian,555.123.4567\nSun,\nSUN,\n", "new.csv", in: d)
        let arguments = ["import", file, "--table", "individual", "--as", "carol", "--format", "json"]
        let dry = try d.run(arguments + ["--dry-run"])
        #expect(dry.exitCode == 1, "\(dry.stderr)")
        let refused = try d.run(arguments)
        #expect(refused.exitCode == 1)
        #expect(try d.snapshot() == before)
        for run in [dry, refused] {
            let report = try json(run)
            let rows = (report["refused"] as? [[String: Any]])?.map { $0["row"] as? Int }
            #expect(rows == [4], "\(run.stdout)")
            let problem = ((report["refused"] as? [[String: Any]])?.first?["problems"] as? [[String: Any]])?.first
            #expect(problem?["column"] as? String == "name")
            #expect(
                problem?["message"] as? String
                    == "matches row 3 by duplicate rule 'same-name', which refuses new customers that do")
            let warnings = report["duplicates"] as? [[String: Any]]
            #expect(warnings?.map { $0["row"] as? Int } == [2], "\(run.stdout)")
            #expect(warnings?.first?["customers"] as? [String] == ["P000001", "P000002", "P000003"])
        }
        let rejects = d.dir.appendingPathComponent("rejects.csv").path
        let stored = try d.run(["import", file, "--table", "individual", "--as", "carol", "--rejects", rejects])
        #expect(stored.exitCode == 0, "\(stored.stderr)")
        #expect(stored.stderr.contains("warning: row 2 (P000004) may duplicate P000001, P000002 and P000003"))
        #expect(try String(contentsOfFile: rejects, encoding: .utf8) == "name,phone1\r\nSUN,\r\n")
        // import --update adds the rows it matches to no customer, checked the same way.
        let upsert = try write("name\nsun\nZhou\n", "upsert.csv", in: d)
        let updated = try d.run(["import", upsert, "--table", "individual", "--update", "--as", "carol"])
        #expect(updated.exitCode == 1)
        #expect(updated.stdout.contains("row 2, column name: matches P000005 by duplicate rule 'same-name'"))
    }

    @Test(
        "a customer the user may not view is never selected by transfer --where, merged, listed in the bin nor restored by them"
    )
    func hiddenCustomersStayHidden() throws {
        // carol is an admin, but the vip rule keeps VIP customers from her eyes.
        let d = try demo()
        let secret = try d.run([
            "customer", "add", "--as", "vera", "--table", "individual", "name=VIP Secret", "level=VIP",
            "phone1=13999999999",
        ])
        #expect(secret.exitCode == 0, "\(secret.stderr)")
        #expect(try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Target"]).exitCode == 0)
        #expect(try d.run(["customer", "show", "P000001", "--as", "carol"]).exitCode == 1)
        let before = try d.snapshot()
        let selected = try d.run([
            "customer", "transfer", "--where", "customer.phone1 == \"13999999999\"", "--to", "bob", "--as", "carol",
            "--dry-run",
        ])
        #expect(selected.exitCode == 0)
        #expect(selected.stdout == "no customer carol may transfer matches; nothing changed\n", "\(selected.stdout)")
        let merged = try d.run(["customer", "merge", "P000002", "P000001", "--as", "carol"])
        #expect(merged.exitCode == 1)
        #expect(merged.stderr == "error: there is no customer 'P000001'\n")
        #expect(try d.snapshot() == before)
        // Deleted by someone who may, the customer is in no bin carol may list or restore from.
        #expect(try d.run(["customer", "delete", "P000001", "--as", "carol"]).exitCode == 0)
        #expect(try d.run(["bin", "list", "--as", "carol"]).stdout == "the bin holds no customer carol may restore\n")
        let restore = try d.run(["customer", "restore", "P000001", "--as", "carol"])
        #expect(restore.exitCode == 1)
        #expect(restore.stderr == "error: there is no customer 'P000001' in the bin\n")
    }

    @Test("import --update reads a JSON line as strictly as import does, and never moves a customer")
    func upsertStrictLines() throws {
        let d = try demo(owners: ["bob"])
        let before = try d.snapshot()
        for (line, message) in [
            (#"{"id":"P000001","fields":{"name":"x"},"id":"P000002"}"#, "row 1, column id: key 'id' is given twice"),
            (#"{"id":"P000001","fields":{"name":"x","name":"y"}}"#, "row 1, column name: field 'name' is given twice"),
            (#"{"id":"P000001","bogus":1}"#, "row 1, column bogus: unknown key 'bogus'"),
        ] {
            let path = try write(line + "\n", "rows.jsonl", in: d)
            let run = try d.run(["import", path, "--update", "--as", "carol"])
            #expect(run.exitCode == 1, "\(line)")
            #expect(run.stdout.contains(message), "\(run.stdout)")
        }
        var invalid = Data(#"{"id":"P000001","fields":{"name":""#.utf8)
        invalid.append(contentsOf: [0xFF, 0xFE])
        invalid.append(contentsOf: Data("\"}}\n".utf8))
        let bytes = d.dir.appendingPathComponent("bytes.jsonl")
        try invalid.write(to: bytes)
        let utf8 = try d.run(["import", bytes.path, "--update", "--as", "carol"])
        #expect(utf8.exitCode == 1)
        #expect(utf8.stdout.contains("row 1, column 35: invalid UTF-8 (byte 0xff)"), "\(utf8.stdout)")
        let moved = try write(#"{"id":"P000001","table":"organization"}"# + "\n", "moved.jsonl", in: d)
        let run = try d.run(["import", moved, "--update", "--as", "carol"])
        #expect(run.exitCode == 1)
        #expect(
            run.stdout.contains(
                #"row 1, column table: the row gives "organization", but P000001 has "individual": an upsert does not move a customer"#
            ), "\(run.stdout)")
        #expect(try d.snapshot() == before)
    }

    @Test(
        "a fuzzy rule warns of a name alike a stored one and an earlier row; a refused row is no earlier row; verify passes"
    )
    func fuzzyDuplicatesOnAdd() throws {
        let d = try demo(
            extra: """
                duplicates:
                  - { id: same-contact, table: organization, match: [contactName], on_add: refuse }
                """)
        let first = try d.run(["customer", "add", "--as", "carol", "--table", "organization", "name=Acme Tools Co."])
        #expect(first.exitCode == 0 && first.stderr.isEmpty, "\(first.stderr)")
        // One letter in ten may differ; é written as two characters is é.
        let alike = try d.run([
            "customer", "add", "--as", "carol", "--table", "organization", "name=ACME Tools Co",
        ])
        #expect(alike.stderr == "warning: O000002 may duplicate O000001 (duplicate rule 'similar-names')\n")
        let cafe = try d.run(["customer", "add", "--as", "carol", "--table", "organization", "name=Café Roma"])
        #expect(cafe.stderr.isEmpty)
        let decomposed = try d.run([
            "customer", "add", "--as", "carol", "--table", "organization", "name=Cafe\u{301} Roma",
        ])
        #expect(decomposed.stderr == "warning: O000004 may duplicate O000003 (duplicate rule 'similar-names')\n")
        // Row 2 is refused (its contact is taken); row 3, alike row 2 only, is not warned of.
        #expect(
            try d.run(["customer", "edit", "O000001", "contactName=Li", "--as", "carol"]).exitCode == 0)
        let file = try write(
            "name,contactName\nZenith Labs,Li\nZenith Lab,Wu\nZenith Labs Ltd,Wu\n", "orgs.csv", in: d)
        let rejects = d.dir.appendingPathComponent("rejects.csv").path
        let run = try d.run([
            "import", file, "--table", "organization", "--as", "carol", "--rejects", rejects, "--format", "json",
        ])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let report = try json(run)
        #expect((report["refused"] as? [[String: Any]])?.compactMap { $0["row"] as? Int } == [2, 4], "\(run.stdout)")
        #expect((report["duplicates"] as? [[String: Any]])?.isEmpty == true, "\(run.stdout)")
        // Duplicates are allowed where a rule warns: the store is whole.
        let verify = try CLI.run(["store", "verify", "--config", d.config])
        #expect(verify.exitCode == 0, "\(verify.stdout) \(verify.stderr)")
    }

    @Test("import refuses a value the field rules make read-only for the user, as add does; the store is unchanged")
    func importObeysFieldRules() throws {
        let d = try demo(
            extra: """
                rules:
                  - id: reps-import
                    allow: [import]
                    when: '"sales-rep" in user.roles'
                """)
        let before = try d.snapshot()
        let file = try write("name,budget\nAcme,100\n", "orgs.csv", in: d)
        let refused = try d.run(["import", file, "--table", "organization", "--as", "bob"])
        #expect(refused.exitCode == 3, "\(refused.stderr)")
        #expect(
            refused.stdout.contains(
                "row 2: bob may not write 'budget': the field rules make it read-only for them"),
            "\(refused.stdout)")
        let added = try d.run(["customer", "add", "--as", "bob", "--table", "organization", "name=Acme", "budget=100"])
        #expect(added.exitCode == 3)
        #expect(try d.snapshot() == before)
        let allowed = try write("name,budget\nAcme,\n", "names.csv", in: d)
        #expect(try d.run(["import", allowed, "--table", "organization", "--as", "bob"]).exitCode == 0)
    }

    @Test("on_add: a bad value is named where it is")
    func duplicateRuleOnAddValue() throws {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        try "duplicates:\n  - { id: same-name, table: individual, match: [name], on_add: refuze }\n".write(
            to: dir.appendingPathComponent("extra.yaml"), atomically: true, encoding: .utf8)
        let run = try CLI.run(["validate", "--config", dir.path])
        #expect(run.exitCode == 1)
        #expect(
            run.stderr.contains(
                "extra.yaml:2:64: error: 'on_add' of duplicate rule 'same-name' is 'refuze'; did you mean 'refuse'?"),
            "\(run.stderr)")
    }

    // MARK: - Merge

    @Test("customer merge: the kept customer takes the fields it lacks, tags and followers; the others go to the bin")
    func merge() throws {
        let d = try demo()
        for fields in [["name=Ann", "level=B"], ["name=Anne", "email=ann@example.com"], ["name=A3", "level=C"]] {
            let added = try d.run(["customer", "add", "--as", "bob", "--table", "individual"] + fields)
            #expect(added.exitCode == 0, "\(added.stderr)")
        }
        #expect(try d.run(["tag", "add", "P000002", "hot", "--as", "bob"]).exitCode == 0)
        #expect(try d.run(["customer", "follow", "P000003", "--as", "bob"]).exitCode == 0)
        let run = try d.run([
            "customer", "merge", "P000001", "P000002", "P000003", "--take", "level=P000003", "--as", "carol",
        ])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(
            run.stdout
                == "merged P000002, P000003 into P000001: email, level, tags, followers changed; the merged customers are in the bin\n"
        )
        let kept = try json(d.run(["customer", "show", "P000001", "--as", "carol", "--format", "json"]))
        let fields = kept["fields"] as? [String: Any] ?? [:]
        #expect(fields["name"] as? String == "Ann", "the kept customer's own value stays")
        #expect(fields["email"] as? String == "ann@example.com", "a field it lacked is taken")
        #expect(fields["level"] as? String == "C", "--take names where a field comes from")
        #expect(kept["tags"] as? [String] == ["hot"])
        #expect(kept["followers"] as? [String] == ["bob"])
        #expect(try d.run(["customer", "show", "P000002", "--as", "carol"]).exitCode == 1)
        #expect(try d.run(["bin", "list", "--as", "carol"]).stdout.contains("P000003  deleted"))
        let log = try d.run(["log", "P000003", "--as", "carol", "--format", "json"])
        let types =
            ((try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap {
                $0["type"] as? String
            }
        #expect(types.suffix(2) == ["delete", "merge"], "\(types)")
        // The kept customer's log shows what the merge changed on it.
        let keptLog = try d.run(["log", "P000001", "--as", "carol", "--type", "merge", "--format", "json"])
        let entry = ((try JSONSerialization.jsonObject(with: Data(keptLog.stdout.utf8)) as? [[String: Any]]) ?? []).last
        let changed = (entry?["changes"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(changed.contains("email") && changed.contains("level"), "\(keptLog.stdout)")
        // A merged customer comes back from the bin, unless the kept one took a unique value of it.
        #expect(try d.run(["customer", "restore", "P000003", "--as", "carol"]).exitCode == 0)
        let taken = try d.run(["customer", "restore", "P000002", "--as", "carol"])
        #expect(taken.exitCode == 1)
        #expect(taken.stderr.contains("P000002 cannot be restored: "), "\(taken.stderr)")
        #expect(taken.stderr.contains("\"ann@example.com\" is already in use"), "\(taken.stderr)")
    }

    @Test("customer merge: refusals and bad input leave every customer as it was")
    func mergeRefusals() throws {
        let d = try demo(owners: ["bob", "bob", "erin"])
        #expect(
            try d.run(["customer", "add", "--as", "carol", "--table", "organization", "name=Org"]).exitCode == 0)
        let before = try d.snapshot()
        let refused = try d.run(["customer", "merge", "P000001", "P000002", "--as", "bob"])
        #expect(refused.exitCode == 3)
        #expect(refused.stderr.contains("bob may not delete P000002"), "\(refused.stderr)")
        let hidden = try d.run(["customer", "merge", "P000001", "P000003", "--as", "bob"])
        #expect(hidden.stderr == "error: there is no customer 'P000003'\n")
        for (arguments, code, message) in [
            (["P000001"], Int32(64), "name the customer kept, then at least one"),
            (["P000001", "P000001"], 1, "cannot be merged into itself"),
            (["P000001", "P000002", "--take", "levle=P000002"], 1, "has no field 'levle'; did you mean 'level'?"),
            (["P000001", "P000002", "--take", "level=P000003"], 1, "P000003 is not one of the customers merged"),
            (["P000001", "P000002", "--take", "level"], 64, "expected FIELD=ID"),
            (["P000001", "O000001"], 1, "only customers of one kind merge"),
        ] {
            let run = try d.run(["customer", "merge", "--as", "carol"] + arguments)
            #expect(run.exitCode == code, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(try d.snapshot() == before)
    }
}
