import ClienteleTestSupport
import Foundation
import Testing

/// `clientele record` through the binary: a customer's contacts, sites and assets,
/// with access inherited from the customer (through a share and a pool return),
/// refusals that store nothing, and `customer delete --cascade` with its backup.
@Suite("Related records through the binary")
struct RecordCommandTests {
    typealias Demo = StoreCommandTests.Demo

    static let kinds = """
        teams:
          - id: service
        related:
          - id: visits
            team: service
            parent: [individual]
            number: { prefix: VI }
            fields:
              - { identity: note, type: text }
          - id: contacts
            name: Contacts
            team: sales
            parent: [individual, organization]
            number: { prefix: CT, digits: 7 }
            access: inherit
            fields:
              - { identity: fullName, display: Full name, type: input, required: true }
              - { identity: role, type: select, options: [buyer, decision maker, finance, technical] }
              - { identity: email, type: input, format: email }
          - id: sites
            team: sales
            parent: [organization]
            fields:
              - { identity: label, type: input, required: true }
          - id: assets
            team: sales
            parent: [organization]
            within: sites
            fields:
              - { identity: serial, type: input, required: true }
        """

    /// The sales example with the kinds above, bob's individual P000001 and organization O000001.
    func demo() throws -> Demo {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        try Self.kinds.write(to: dir.appendingPathComponent("related.yaml"), atomically: true, encoding: .utf8)
        let d = Demo(dir: dir)
        let applied = try d.run(["apply", "--as", "carol"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        for (table, name) in [("individual", "Li Wang"), ("organization", "Acme")] {
            let run = try d.run(["customer", "add", "--as", "bob", "--table", table, "name=\(name)", "level=A"])
            #expect(run.exitCode == 0, "\(run.stderr)")
        }
        return d
    }

    func add(_ d: Demo, _ arguments: [String], as user: String = "bob") throws -> String {
        let run = try d.run(["record", "add", "--as", user] + arguments)
        #expect(run.exitCode == 0, "\(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    @Test("add, show, list, edit and delete a contact; each change is logged under its customer")
    func lifecycle() throws {
        let d = try demo()
        let id = try add(d, ["--kind", "contacts", "--customer", "P000001", "fullName=Ann Lee", "role=buyer"])
        #expect(id == "CT0000001")
        let shown = json(try d.run(["record", "show", id, "--as", "bob"]).stdout)
        #expect(shown["kind"] as? String == "contacts" && shown["customer"] as? String == "P000001")
        #expect((shown["fields"] as? [String: Any])?["fullName"] as? String == "Ann Lee")
        let edited = try d.run(["record", "edit", id, "--as", "bob", "role=finance", "email=ann@example.com"])
        #expect(edited.exitCode == 0 && edited.stdout == "edited CT0000001: role, email\n", "\(edited.stdout)")
        let listed = try d.run(["record", "list", "--as", "bob", "--customer", "P000001"])
        #expect(listed.stdout == "CT0000001  contacts  fullName=Ann Lee  role=finance  email=ann@example.com\n")
        let card = try d.run(["customer", "show", "P000001", "--as", "bob"])
        #expect(card.stdout.contains("Related records         1 contacts"), "\(card.stdout)")
        let deleted = try d.run(["record", "delete", id, "--as", "carol"])
        #expect(deleted.exitCode == 0 && deleted.stdout == "deleted CT0000001\n")
        #expect(try d.run(["record", "show", id, "--as", "carol"]).exitCode == 1)
        // A deleted record's number is never given again.
        #expect(try add(d, ["--kind", "contacts", "--customer", "P000001", "fullName=Bo"]) == "CT0000002")
        let log = try d.run(["log", "P000001", "--as", "carol"]).stdout
        for line in [
            "record_add  P000001  contacts CT0000001  fullName: null -> \"Ann Lee\"; role: null -> \"buyer\"",
            "record_edit  P000001  contacts CT0000001  role: \"buyer\" -> \"finance\"",
            "record_delete  P000001  contacts CT0000001",
        ] {
            #expect(log.contains(line), "\(line)\n\(log)")
        }
    }

    @Test("an asset is within a site of the same customer; a site with assets is not deleted")
    func within() throws {
        let d = try demo()
        let site = try add(d, ["--kind", "sites", "--customer", "O000001", "label=HQ"])
        let asset = try add(d, ["--kind", "assets", "--customer", "O000001", "--within", site, "serial=A1"])
        #expect(asset == "AS0000001")
        let listed = try d.run(["record", "list", "--as", "bob", "--customer", "O000001", "--kind", "assets"])
        #expect(listed.stdout == "AS0000001  assets  within SI0000001  serial=A1\n")
        let before = try d.snapshot()
        let blocked = try d.run(["record", "delete", site, "--as", "carol"])
        #expect(blocked.exitCode == 1)
        #expect(blocked.stderr.contains("SI0000001 has 1 record of 'assets' within it: delete it first"))
        #expect(try d.snapshot() == before)
    }

    @Test(
        "bad input is exit 1 naming the problem, and stores nothing",
        arguments: [
            (
                ["--kind", "contacts", "--customer", "P000001", "role=buyer"],
                "column fullName: 'fullName' (Full name) is required"
            ),
            (
                ["--kind", "contacts", "--customer", "P000001", "fullName=X", "role=boss"],
                "'role' expects one of buyer"
            ),
            (
                ["--kind", "contacts", "--customer", "P000001", "fullName=X", "level=A"],
                "related kind 'contacts' has no field 'level'"
            ),
            (
                ["--kind", "contact", "--customer", "P000001", "fullName=X"],
                "there is no related kind 'contact'; did you mean 'contacts'?"
            ),
            (
                ["--kind", "sites", "--customer", "P000001", "label=X"],
                "related kind 'sites' belongs to customers of the organization table; P000001 is of the individual table"
            ),
            (["--kind", "assets", "--customer", "O000001", "serial=X"], "give --within ID"),
            (
                ["--kind", "assets", "--customer", "O000001", "--within", "SI0000009", "serial=X"],
                "O000001 has no record 'SI0000009' of 'sites'"
            ),
            (["--kind", "sites", "--customer", "O000001", "--within", "SI0000001", "label=X"], "leave out --within"),
            (["--kind", "contacts", "--customer", "P000404", "fullName=X"], "there is no customer 'P000404'"),
            (
                ["--kind", "visits", "--customer", "P000001", "note=X"],
                "related kind 'visits' belongs to customers of team 'service'; P000001 is of team 'sales'"
            ),
        ])
    func badInput(_ arguments: [String], _ message: String) throws {
        let d = try demo()
        let before = try d.snapshot()
        let run = try d.run(["record", "add", "--as", "bob"] + arguments)
        #expect(run.exitCode == 1)
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(try d.snapshot() == before)
    }

    @Test("access follows the customer: refused by its rules (exit 3), shared with, and lost in the pool")
    func inheritedAccess() throws {
        let d = try demo()
        let id = try add(d, ["--kind", "contacts", "--customer", "P000001", "fullName=Ann Lee"])
        // erin (west) may not view bob's customer: its contact does not exist for her.
        let hidden = try d.run(["record", "show", id, "--as", "erin"])
        #expect(hidden.exitCode == 1 && hidden.stderr.contains("there is no record 'CT0000001'"))
        let before = try d.snapshot()
        let added = try d.run([
            "record", "add", "--as", "erin", "--kind", "contacts", "--customer", "P000001", "fullName=Z",
        ])
        #expect(added.exitCode == 1 && added.stderr.contains("there is no customer 'P000001'"))
        // bob may view and edit P000001 but not delete it, nor its records.
        let refused = try d.run(["record", "delete", id, "--as", "bob"])
        #expect(refused.exitCode == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("bob may not delete CT0000001 of P000001"), "\(refused.stderr)")
        #expect(try d.snapshot() == before)
        // Shared with erin: she sees the contact.
        #expect(try d.run(["share", "P000001", "--users", "erin", "--as", "bob"]).exitCode == 0)
        #expect(try d.run(["record", "show", id, "--as", "erin"]).exitCode == 0)
        // Returned to the pool: alice, who saw it through bob's group, no longer sees it nor its
        // contacts; bob, a member of the pool, still does, as he does the customer.
        #expect(try d.run(["record", "show", id, "--as", "alice"]).exitCode == 0)
        #expect(try d.run(["pool", "return", "P000001", "--as", "bob", "--reason", "unreachable"]).exitCode == 0)
        for (user, sees) in [("alice", false), ("bob", true), ("carol", true), ("frank", false)] {
            let customer = try d.run(["customer", "show", "P000001", "--as", user]).exitCode
            #expect(try d.run(["record", "show", id, "--as", user]).exitCode == customer, "\(user)")
            #expect(try d.run(["record", "list", "--customer", "P000001", "--as", user]).exitCode == customer)
            #expect((customer == 0) == sees, "\(user)")
        }
    }

    @Test("a record is never a customer: no customer command, import or the service reaches it by its key")
    func keptApart() throws {
        let d = try demo()
        let id = try add(
            d, ["--kind", "contacts", "--customer", "P000001", "fullName=Ann Lee", "email=Ann@Example.com"])
        let before = try d.snapshot()
        for arguments in [
            ["customer", "show", "contacts:\(id)", "--as", "carol"],
            ["customer", "transfer", "contacts:\(id)", "--to", "erin", "--as", "carol"],
            ["customer", "delete", "contacts:\(id)", "--as", "carol"],
            ["customer", "edit", "contacts:\(id)", "level=B", "--as", "carol"],
        ] {
            let run = try d.run(arguments)
            #expect(run.exitCode == 1, "\(arguments)")
            #expect(run.stderr.contains("there is no customer 'contacts:\(id)'"), "\(arguments): \(run.stderr)")
        }
        let rows = d.dir.appendingPathComponent("rows.jsonl")
        try
            #"{"id":"CT0000009","team":"sales","table":"individual","account_executive":"bob","fields":{"name":"X","level":"A"}}"#
            .write(to: rows, atomically: true, encoding: .utf8)
        let imported = try d.run(["import", rows.path, "--as", "carol"])
        #expect(imported.exitCode == 1)
        #expect(imported.stdout.contains("id 'CT0000009' is numbered as a record of related kind 'contacts'"))
        #expect(try d.snapshot() == before)
        #expect(try d.run(["customer", "list", "--as", "carol", "--format", "json"]).stdout.contains("CT0") == false)
        // The log shows a record's fields whole, as record show does (they are not the customer's).
        let log = try d.run(["log", "P000001", "--as", "bob"]).stdout
        #expect(
            log.contains("contacts CT0000001  fullName: null -> \"Ann Lee\"; email: null -> \"Ann@Example.com\""),
            "\(log)")
    }

    @Test("a user who may delete a customer they may not view neither reaches its records nor learns what they are")
    func unviewedCustomer() throws {
        let d = try demo()
        // vera's VIP customer: carol (admin) may delete it but not view it (examples/sales/access.yaml).
        let vip = try d.run(["customer", "add", "--as", "vera", "--table", "individual", "name=V", "level=VIP"])
        #expect(vip.exitCode == 0, "\(vip.stderr)")
        let customer = vip.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let id = try add(d, ["--kind", "contacts", "--customer", customer, "fullName=Kept"], as: "vera")
        let before = try d.snapshot()
        for verb in [["show", id], ["delete", id], ["edit", id, "fullName=X"]] {
            let run = try d.run(["record"] + verb + ["--as", "carol"])
            #expect(run.exitCode == 1 && run.stderr.contains("there is no record '\(id)'"), "\(verb): \(run.stderr)")
        }
        let refused = try d.run(["customer", "delete", customer, "--as", "carol"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("\(customer) has related records: delete them first"), "\(refused.stderr)")
        #expect(try d.snapshot() == before)
    }

    @Test("customer delete refuses while records exist; --cascade deletes them, logged and kept in a backup")
    func cascade() throws {
        let d = try demo()
        let site = try add(d, ["--kind", "sites", "--customer", "O000001", "label=HQ"])
        _ = try add(d, ["--kind", "assets", "--customer", "O000001", "--within", site, "serial=A1"])
        _ = try add(d, ["--kind", "contacts", "--customer", "O000001", "fullName=Ann"])
        let before = try d.snapshot()
        let refused = try d.run(["customer", "delete", "O000001", "--as", "carol"])
        #expect(refused.exitCode == 1)
        #expect(
            refused.stderr.contains(
                "O000001 has 1 record of 'contacts', 1 of 'sites', 1 of 'assets': delete them first, or give --cascade"),
            "\(refused.stderr)")
        #expect(try d.snapshot() == before)
        let deleted = try d.run(["customer", "delete", "O000001", "--as", "carol", "--cascade"])
        #expect(deleted.exitCode == 0, "\(deleted.stderr)")
        let backups = d.dir.appendingPathComponent(".clientele/store/backups")
        let files = try FileManager.default.contentsOfDirectory(atPath: backups.path)
        #expect(files.count == 1 && files[0].hasPrefix("delete-O000001-"), "\(files)")
        let kept = try String(contentsOf: backups.appendingPathComponent(files[0]), encoding: .utf8)
        #expect(kept.split(separator: "\n").count == 3 && kept.contains("\"serial\":\"A1\""))
        #expect(deleted.stdout.contains("and its related records (kept in"), "\(deleted.stdout)")
        for id in ["SI0000001", "AS0000001", "CT0000001"] {
            #expect(try d.run(["record", "show", id, "--as", "carol"]).exitCode == 1)
        }
        let log = try d.run(["log", "O000001", "--as", "carol", "--type", "record_delete"]).stdout
        #expect(log.split(separator: "\n").count == 3, "\(log)")
    }

    @Test("store verify names the records that no longer hold together: a kind the applied config dropped")
    func verified() throws {
        let d = try demo()
        let site = try add(d, ["--kind", "sites", "--customer", "O000001", "label=HQ"])
        _ = try add(d, ["--kind", "assets", "--customer", "O000001", "--within", site, "serial=A1"])
        // store verify takes no --now.
        #expect(try CLI.run(["store", "verify", "--config", d.config]).exitCode == 0)
        let file = d.dir.appendingPathComponent("related.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let kept = text.components(separatedBy: "  - id: assets")[0]
        try kept.write(to: file, atomically: true, encoding: .utf8)
        #expect(try d.run(["apply", "--as", "carol", "--yes"]).exitCode == 0)
        let verify = try CLI.run(["store", "verify", "--config", d.config])
        #expect(verify.exitCode == 1)
        #expect(
            verify.stdout.contains(
                "1 related record does not hold together: assets AS0000001: the applied config has no related kind 'assets'"
            ),
            "\(verify.stdout)\(verify.stderr)")
    }

    @Test("a customer merged into another takes its records along")
    func merge() throws {
        let d = try demo()
        #expect(
            try d.run(["customer", "add", "--as", "bob", "--table", "individual", "name=Li W.", "level=A"]).exitCode
                == 0)
        let id = try add(d, ["--kind", "contacts", "--customer", "P000002", "fullName=Ann"])
        let merged = try d.run(["customer", "merge", "P000001", "P000002", "--as", "carol"])
        #expect(merged.exitCode == 0, "\(merged.stderr)")
        let shown = json(try d.run(["record", "show", id, "--as", "carol"]).stdout)
        #expect(shown["customer"] as? String == "P000001")
        #expect(try d.run(["record", "list", "--customer", "P000001", "--as", "carol"]).stdout.hasPrefix("CT0000001"))
    }
}
