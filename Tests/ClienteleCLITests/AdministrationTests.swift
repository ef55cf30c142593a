import ClienteleTestSupport
import Foundation
import Testing

/// The data administration people do every week, through the binary: each command's
/// success, its refusal (exit 3, the store unchanged) and bad input (exit 1 or 64,
/// the store unchanged).
@Suite("Data administration")
struct AdministrationTests {
    typealias Demo = StoreCommandTests.Demo

    /// The sales example, applied, with customers added by `owners` (one each, in order).
    func demo(owners: [String] = []) throws -> Demo {
        let d = try StoreCommandTests().demo()
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
        let refusal = "column budget: A signed contract needs a budget (validation rule 'signed-needs-budget')"
        let added = try d.run([
            "customer", "add", "--as", "carol", "--table", "organization", "name=Acme", "contractSigned=true",
        ])
        #expect(added.exitCode == 1)
        #expect(added.stderr == "error: \(refusal)\n", "\(added.stderr)")
        #expect(try d.snapshot() == before)
        let kept = try d.run([
            "customer", "add", "--as", "carol", "--table", "organization", "name=Acme", "contractSigned=true",
            "budget=10",
        ])
        #expect(kept.exitCode == 0, "\(kept.stderr)")
        let stored = try d.snapshot()
        let edited = try d.run(["customer", "edit", "--as", "carol", "O000001", "budget="])
        #expect(edited.exitCode == 1)
        #expect(edited.stderr.contains(refusal), "\(edited.stderr)")
        #expect(try d.snapshot() == stored)
        #expect(
            try d.run(["customer", "edit", "--as", "carol", "O000001", "budget=", "contractSigned=false"]).exitCode == 0
        )
        let csv = d.dir.appendingPathComponent("signed.csv")
        try "Name,Contract signed,Budget\nOne,true,5\nTwo,true,\n".write(to: csv, atomically: true, encoding: .utf8)
        let afterEdit = try d.snapshot()
        let imported = try d.run(["import", csv.path, "--as", "carol", "--table", "organization"])
        #expect(imported.exitCode == 1)
        #expect(
            imported.stdout.contains(
                "row 3, column Budget: A signed contract needs a budget (validation rule 'signed-needs-budget')"),
            "\(imported.stdout)")
        #expect(try d.snapshot() == afterEdit)
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
        ] {
            let run = try d.run(["describe"] + arguments)
            #expect(run.exitCode == 1, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(try d.run(["describe", "--format", "yaml"]).exitCode == 64)
    }
}
