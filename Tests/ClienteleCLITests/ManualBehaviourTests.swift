import ClienteleTestSupport
import Foundation
import Testing

/// What the product manuals say each operation does, checked through the binary
/// on the shipped examples: data rules, the manuals' list and pool behaviour, and
/// the command line a person meets.
@Suite("Operations as the manuals say")
struct ManualBehaviourTests {
    typealias Demo = StoreCommandTests.Demo

    /// The sales example, applied (or another example).
    func demo(_ example: String = "sales", edit: ((URL) throws -> Void)? = nil) throws -> Demo {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", example]).exitCode == 0)
        try edit?(dir)
        let d = Demo(dir: dir)
        let applied = try d.run(["apply", "--as", example == "sales" ? "carol" : "grace"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        return d
    }

    func replace(_ file: URL, _ old: String, _ new: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains(old), "\(file.lastPathComponent) has no \(old)", sourceLocation: sourceLocation)
        try text.replacingOccurrences(of: old, with: new).write(to: file, atomically: true, encoding: .utf8)
    }

    func write(_ text: String, to name: String, in d: Demo) throws -> String {
        let url = d.dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func add(_ d: Demo, as user: String = "bob", _ values: [String], table: String = "individual") throws -> String {
        let run = try d.run(["customer", "add", "--as", user, "--table", table] + values)
        #expect(run.exitCode == 0, "\(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func document(_ d: Demo, _ id: String, as user: String = "carol") throws -> [String: Any] {
        let run = try d.run(["customer", "show", "--format", "json", "--as", user, id])
        #expect(run.exitCode == 0, "\(run.stderr)")
        return (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    func logTypes(_ d: Demo) throws -> [String] {
        let run = try d.run(["log", "--as", "carol", "--format", "json"])
        let entries = (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]) ?? []
        return entries.compactMap { $0["type"] as? String }
    }

    // MARK: - Data rules

    @Test("1. import refuses unique values the store holds, in CSV and JSON Lines; add and edit read the kept values")
    func uniqueAgainstTheStore() throws {
        let d = try demo()
        _ = try add(d, ["name=Li Wang", "email=li@example.com", "level=A"])
        let jsonl = try write(
            #"{"table":"individual","account_executive":"bob","fields":{"name":"Other","email":"LI@example.com","level":"B"}}"#
                + "\n", to: "dup.jsonl", in: d)
        let csv = try write("Name,E-mail,Level\nOther,li@example.com,B\n", to: "dup.csv", in: d)
        for (file, column) in [(jsonl, "email"), (csv, "E-mail")] {
            let run = try d.run(["import", file, "--as", "carol", "--table", "individual"])
            #expect(run.exitCode == 1, "\(file): \(run.stdout)\(run.stderr)")
            #expect(
                run.stdout.contains("row 2, column \(column): 'email' (E-mail) must be unique")
                    || run.stdout.contains("row 1, column \(column): 'email' (E-mail) must be unique"), "\(run.stdout)")
            #expect(!run.stdout.contains("P000001"), "a clash never names the customer that holds the value")
        }
        #expect(
            try d.run(["customer", "list", "--as", "carol", "--format", "json"]).stdout.components(
                separatedBy: "\"id\""
            ).count == 2)
        #expect(
            FileManager.default.fileExists(
                atPath: d.dir.appendingPathComponent(".clientele/store/index/unique.bin").path))
        #expect(
            FileManager.default.fileExists(atPath: d.dir.appendingPathComponent(".clientele/store/index/ids.bin").path))
        // add and edit: a held value is refused; a value given up is free again.
        let second = try add(d, ["name=Mei", "email=mei@example.com", "level=B"])
        #expect(try d.run(["customer", "edit", "--as", "bob", second, "email=Li@Example.com"]).exitCode == 1)
        #expect(
            try d.run([
                "customer", "add", "--as", "bob", "--table", "individual", "name=X", "email=li@example.com", "level=A",
            ]).exitCode == 1)
        #expect(try d.run(["customer", "edit", "--as", "bob", "P000001", "email=new@example.com"]).exitCode == 0)
        #expect(try d.run(["customer", "edit", "--as", "bob", second, "email=li@example.com"]).exitCode == 0)
        // The kept values are a cache: without index/ every command still decides the same, and verify finds the store
        // whole.
        try FileManager.default.removeItem(at: d.dir.appendingPathComponent(".clientele/store/index"))
        #expect(
            try d.run([
                "customer", "add", "--as", "bob", "--table", "individual", "name=Y", "email=new@example.com", "level=A",
            ]).exitCode == 1)
        let verify = try CLI.run(["store", "verify", "--config", d.config])
        #expect(verify.exitCode == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test("1. a damaged or foreign id index is not used: every command still sees every customer")
    func idIndexIsACache() throws {
        let d = try demo()
        for n in 1...3 { _ = try add(d, ["name=C\(n)", "email=c\(n)@example.com", "level=A"]) }
        let ids = d.dir.appendingPathComponent(".clientele/store/index/ids.bin")
        #expect(FileManager.default.fileExists(atPath: ids.path))
        var bytes = try Data(contentsOf: ids)
        bytes[bytes.count - 3] ^= 0xFF
        try bytes.write(to: ids)
        #expect(
            try d.run(["customer", "list", "--as", "carol", "--format", "json"]).stdout.components(
                separatedBy: "\"id\""
            ).count == 4)
        #expect(try add(d, ["name=C4", "email=c4@example.com", "level=A"]) == "P000004")
        let verify = try CLI.run(["store", "verify", "--config", d.config])
        #expect(verify.exitCode == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test("1. a unique field's default counts as a value: an import that would fill it twice is refused")
    func uniqueDefaultsInImports() throws {
        let d = try demo(edit: { dir in
            try self.replace(
                dir.appendingPathComponent("schema.yaml"), "      email: { unique: true }",
                "      email: { unique: true, default: info@example.com }")
        })
        _ = try add(d, ["name=A", "level=A"])
        let csv = try write("Name,Level\nC,A\nD,A\n", to: "d.csv", in: d)
        let jsonl = try write(#"{"table":"individual","fields":{"name":"E","level":"A"}}"# + "\n", to: "d.jsonl", in: d)
        for file in [csv, jsonl] {
            let dry = try d.run(["import", file, "--dry-run", "--as", "carol", "--table", "individual"])
            let real = try d.run(["import", file, "--as", "carol", "--table", "individual"])
            #expect(dry.exitCode == 1 && real.exitCode == 1, "\(dry.stdout)\(real.stdout)")
            #expect(real.stdout.contains("\"info@example.com\" is already in use"), "\(real.stdout)")
        }
        #expect(try d.run(["customer", "list", "--as", "carol"]).stdout.split(separator: "\n").count == 1)
        // Empty values hold nothing: two of them never clash, in a file or with the store.
        let empty = try write(
            #"{"table":"individual","fields":{"name":"F","level":"A","email":""}}"# + "\n"
                + #"{"table":"individual","fields":{"name":"G","level":"A","email":""}}"# + "\n", to: "e.jsonl", in: d)
        #expect(!(try d.run(["import", empty, "--dry-run", "--as", "carol"]).stdout.contains("already")))
    }

    @Test("1. index files copied from another store of the same length are not used")
    func foreignIndexFiles() throws {
        let x = try demo()
        _ = try add(x, ["name=A", "email=a@example.com", "level=A"])
        let y = Demo(dir: try CLI.temporaryDirectory())
        try FileManager.default.removeItem(at: y.dir)
        try FileManager.default.copyItem(at: x.dir, to: y.dir)
        // The same batch, of the same length, with another customer in each store.
        _ = try add(x, ["name=B", "email=bbbb@example.com", "level=A"])
        _ = try add(y, ["name=B", "email=cccc@example.com", "level=A"])
        #expect(try CLI.run(["store", "verify", "--config", y.config]).exitCode == 0)
        // Y's index files made again at the end of Y's log, which has X's length: a dry run
        // reads the store's unique values, and opening writes the id index.
        let index = "/.clientele/store/index/"
        try FileManager.default.removeItem(atPath: y.dir.path + index)
        let row = try write(
            #"{"table":"individual","fields":{"name":"D","email":"d@example.com","level":"A"}}"# + "\n", to: "d.jsonl",
            in: y)
        #expect(try y.run(["import", row, "--dry-run", "--as", "carol"]).exitCode == 0)
        #expect(FileManager.default.fileExists(atPath: y.dir.path + index + "unique.bin"))
        for name in ["ids.bin", "unique.bin", "customers.bin"] {
            let from = y.dir.path + index + name
            let to = x.dir.path + index + name
            if FileManager.default.fileExists(atPath: from) {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        // X still holds bbbb@ and P000002: the copies describe Y's log.
        #expect(
            try x.run([
                "customer", "add", "--as", "bob", "--table", "individual", "name=C", "email=bbbb@example.com",
                "level=A",
            ]).exitCode == 1)
        #expect(
            try x.run(["customer", "show", "--format", "json", "--as", "carol", "P000002"]).stdout.contains(
                "bbbb@example.com"))
        let verify = try CLI.run(["store", "verify", "--config", x.config])
        #expect(verify.exitCode == 0, "\(verify.stdout)")
    }

    @Test("1. store verify changes nothing, and reports values of a unique field held twice")
    func verifyReadsOnly() throws {
        let d = try demo()
        _ = try add(d, ["name=A", "email=a@example.com", "level=A"])
        let index = d.dir.appendingPathComponent(".clientele/store/index")
        try FileManager.default.removeItem(at: index)
        #expect(try CLI.run(["store", "verify", "--config", d.config]).exitCode == 0)
        #expect(!FileManager.default.fileExists(atPath: index.path), "verify wrote index/")
        // A repeated value written before uniqueness was enforced everywhere (here: written into the log by hand).
        let segment = d.data.appendingPathComponent("000001.jsonl")
        let text = try String(contentsOf: segment, encoding: .utf8)
        let put = try #require(text.split(separator: "\n").first { $0.contains(#""op":"put","id":"P000001""#) })
        let renamed = put.replacingOccurrences(of: #""id":"P000001""#, with: #""id":"P000009""#)
        let copy = #"{"batch":99"# + renamed[try #require(renamed.range(of: #","op""#)).lowerBound...]
        let batch = copy + "\n"
        let crc = String(Self.crc32c(Array(batch.utf8)), radix: 16)
        try
            (text + batch + "{\"batch\":99,\"commit\":1,\"crc32c\":\"" + String(repeating: "0", count: 8 - crc.count)
            + crc + "\"}\n")
            .write(to: segment, atomically: true, encoding: .utf8)
        let verify = try CLI.run(["store", "verify", "--config", d.config])
        #expect(
            verify.exitCode == 1
                && verify.stdout.contains(
                    "held by more than one customer; first: 'email' \"a@example.com\" in P000001, P000009"),
            "\(verify.stdout)")
    }

    /// CRC-32C (Castagnoli), bit by bit: the commit line's checksum.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test(
        "2. the dry run refuses exactly the rows the import refuses",
        arguments: ["held-email", "taken-id", "not-allowed", "mixed"])
    func dryRunEqualsImport(_ name: String) throws {
        let d = try demo()
        _ = try add(d, ["name=Li Wang", "email=li@example.com", "level=A"])
        _ = try d.run([
            "customer", "delete", "--as", "carol", try add(d, ["name=Gone", "email=gone@example.com", "level=A"]),
        ])
        let lines: [String: [String]] = [
            "held-email": [
                #"{"table":"individual","fields":{"name":"A","email":"li@example.com","level":"A"}}"#,
                #"{"table":"individual","fields":{"name":"B","email":"b@example.com","level":"A"}}"#,
            ],
            "taken-id": [
                #"{"id":"P000001","table":"individual","fields":{"name":"A","email":"a@example.com","level":"A"}}"#,
                #"{"id":"P000002","table":"individual","fields":{"name":"B","email":"b@example.com","level":"A"}}"#,
                #"{"table":"individual","fields":{"name":"C","email":"c@example.com","level":"A"}}"#,
            ],
            "not-allowed": [
                #"{"table":"individual","account_executive":"bob","fields":{"name":"A","email":"a@example.com","level":"A"}}"#
            ],
            "mixed": [
                #"{"id":"P000001","table":"individual","fields":{"name":"A","email":"li@example.com","level":"A"}}"#,
                #"{"table":"individual","fields":{"name":"","email":"x@example.com","level":"A"}}"#,
                #"{"table":"individual","fields":{"name":"Fine","email":"fine@example.com","level":"B"}}"#,
            ],
        ]
        let actor = name == "not-allowed" ? "bob" : "carol"
        let file = try write(lines[name]!.joined(separator: "\n") + "\n", to: "\(name).jsonl", in: d)
        func refused(_ run: CLIRun) throws -> [String] {
            let report = (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]) ?? [:]
            return ((report["refused"] as? [[String: Any]]) ?? []).map { row in
                "\(row["row"] ?? ""): "
                    + ((row["problems"] as? [[String: Any]]) ?? []).map {
                        "\($0["column"] ?? "") \($0["message"] ?? "")"
                    }.joined(separator: "; ")
            }
        }
        let dry = try d.run(["import", file, "--dry-run", "--as", actor, "--format", "json"])
        let real = try d.run([
            "import", file, "--as", actor, "--format", "json", "--rejects",
            d.dir.appendingPathComponent("r.jsonl").path,
        ])
        #expect(real.exitCode == 0, "\(real.stderr)")
        #expect(try !refused(dry).isEmpty)
        #expect(try refused(dry) == refused(real), "dry run: \(dry.stdout)\nimport: \(real.stdout)")
    }

    @Test("3. customer add fills in defaults, as import and apply do")
    func addFillsDefaults() throws {
        let d = try demo("call-centre")
        let added = try d.run(["customer", "add", "--as", "grace", "--table", "work_order", "--format", "json"])
        #expect(added.exitCode == 0, "\(added.stderr)")
        let id = try #require(
            ((try JSONSerialization.jsonObject(with: Data(added.stdout.utf8))) as? [String: Any])?["id"] as? String)
        let shown = try d.run(["customer", "show", "--format", "json", "--as", "grace", id])
        #expect(shown.stdout.contains(#""priority":"normal""#), "\(shown.stdout)")
    }

    @Test("4. following is not editing; unfollow and a one-customer unshare are logged as such")
    func followIsNotAnEdit() throws {
        let d = try demo()
        let id = try add(d, ["name=Li Wang", "email=li@example.com", "level=A"])
        let later = ["--config", d.config, "--now", "2026-11-24T10:00:00Z"]
        #expect(try CLI.run(["customer", "follow", id, "--as", "bob"] + later).stdout == "bob now follows \(id)\n")
        #expect(
            try CLI.run(["customer", "unfollow", id, "--as", "bob"] + later).stdout == "bob no longer follows \(id)\n")
        let doc = try document(d, id)
        #expect(doc["modified_at"] as? String == "2026-11-23T10:00:00Z" && doc["modified_by"] as? String == "bob")
        #expect(try CLI.run(["share", id, "--as", "bob", "--users", "erin"] + later).exitCode == 0)
        #expect(
            try CLI.run(["unshare", id, "--as", "bob", "--users", "erin"] + later).stdout
                == "stopped sharing \(id) with user erin\n")
        #expect(Array(try logTypes(d).suffix(4)) == ["follow", "unfollow", "share", "unshare"])
    }

    @Test("5. a plan that moves a field's identity to another table is an error with its line")
    func fieldTableNeverChanges() throws {
        let d = try demo()
        let schema = d.dir.appendingPathComponent("schema.yaml")
        try replace(
            schema, "  - identity: seats\n    display: Seats\n    team: sales\n    table: organization",
            "  - identity: seats\n    display: Seats\n    team: sales\n    table: individual")
        try replace(d.dir.appendingPathComponent("access.yaml"), ", seats]", "]")
        try replace(d.dir.appendingPathComponent("views.yaml"), "budget, seats, country", "budget, country")
        // The example's validation rule reads the organizations' seats, and a saved list shows them.
        try FileManager.default.removeItem(at: d.dir.appendingPathComponent("validation.yaml"))
        try replace(d.dir.appendingPathComponent("lists.yaml"), "[name, level, seats, account_executive]", "[name]")
        let plan = try d.run(["plan"])
        #expect(plan.exitCode == 1)
        #expect(
            plan.stderr.contains(
                "schema.yaml:61:5: error: field 'seats' (Seats) moves from the organization table to the individual table of team 'sales': a field's table never changes"
            ), "\(plan.stderr)")
    }

    @Test("6. a main-table field is renamed while a package keeps a customization of the old identity")
    func renameBesidePackageField() throws {
        let d = try demo(edit: { dir in
            let text = try String(contentsOf: dir.appendingPathComponent("schema.yaml"), encoding: .utf8)
            try
                (text + """
                      - identity: tier
                        display: Tier
                        team: sales
                        table: organization
                        type: input
                      - identity: tier
                        display: Booth tier
                        team: sales
                        table: organization
                        packages: [trade-show]
                        type: input

                    """).write(to: dir.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
        })
        let main = try add(d, as: "carol", ["name=Acme", "tier=gold"], table: "organization")
        let booth = try d.run([
            "customer", "add", "--as", "carol", "--table", "organization", "--package", "trade-show", "name=Booth",
            "tier=silver",
        ]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try replace(
            d.dir.appendingPathComponent("schema.yaml"), "  - identity: tier\n    display: Tier\n",
            "  - identity: rank\n    was: tier\n    display: Tier\n")
        let applied = try d.run(["apply", "--as", "carol", "--yes"])
        #expect(applied.exitCode == 0, "\(applied.stdout)\(applied.stderr)")
        #expect((try document(d, main)["fields"] as? [String: Any])?["rank"] as? String == "gold")
        #expect((try document(d, booth)["fields"] as? [String: Any])?["tier"] as? String == "silver")
    }

    @Test("6. the plan refuses a change that makes stored values of a unique field equal")
    func planChecksUniqueAfterMigration() throws {
        let d = try demo(edit: { dir in
            let text = try String(contentsOf: dir.appendingPathComponent("schema.yaml"), encoding: .utf8)
            try
                (text
                + "  - identity: handle\n    display: Handle\n    team: sales\n    table: individual\n    type: input\n    unique: true\n"
                + "  - identity: tier\n    display: Tier\n    team: sales\n    table: individual\n    type: select\n    options: [A, G, Z]\n    unique: true\n")
                .write(to: dir.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
        })
        _ = try add(d, ["name=One", "level=A", "handle=Foo", "tier=A"])
        _ = try add(d, ["name=Two", "level=A", "handle=foo", "tier=G"])
        let schema = d.dir.appendingPathComponent("schema.yaml")
        try replace(
            schema, "    type: input\n    unique: true\n",
            "    type: input\n    unique: true\n    normalize: lowercase\n")
        try replace(schema, "    options: [A, G, Z]\n", "    options: [{value: Gold, was: [A, G]}, Z]\n")
        let text = try String(contentsOf: schema, encoding: .utf8)
        try
            (text
            + "  - identity: code\n    display: Code\n    team: sales\n    table: individual\n    type: input\n    unique: true\n    default: same\n")
            .write(to: schema, atomically: true, encoding: .utf8)
        let plan = try d.run(["plan"])
        #expect(plan.exitCode == 1)
        for field in ["handle", "tier", "code"] {
            #expect(
                plan.stderr.contains(
                    "of field '\(field)' (the individual table of team 'sales'): records sharing a value, now unique"),
                "\(plan.stderr)")
        }
    }

    @Test("6. a rename of a field the rules read shows who gains and loses in the plan")
    func renameReadByRules() throws {
        let d = try demo()
        let vip = try add(d, ["name=Big", "email=big@example.com", "level=VIP"])
        try replace(
            d.dir.appendingPathComponent("schema.yaml"),
            "  - identity: level\n    display: Level\n    team: sales\n    table: individual",
            "  - identity: grade\n    was: level\n    display: Level\n    team: sales\n    table: individual")
        try replace(
            d.dir.appendingPathComponent("views.yaml"), "background_fields: [name, phone1, level]",
            "background_fields: [name, phone1, grade]")
        for (old, new) in [
            ("columns: [name, phone1, level, modified_at]", "columns: [name, phone1, grade, modified_at]"),
            ("columns: [name, level, created_at]", "columns: [name, grade, created_at]"),
        ] {
            try replace(d.dir.appendingPathComponent("lists.yaml"), old, new)
        }
        let plan = try d.run(["plan"]).stdout
        // The VIP deny rule reads customer.level, which individuals no longer have: bob would see his VIP customer.
        #expect(plan.contains("bob    view +1 -0 +\(vip)"), "\(plan)")
    }

    // MARK: - Where the manuals say otherwise

    @Test("7. only a permission group with editing permission replaces the manager's view of subordinates' customers")
    func viewOnlyGroupKeepsTheManagerRule() throws {
        // frank manages erin; made a member of the view-only finance group, he keeps erin's customers.
        let d = try demo(edit: { dir in
            try self.replace(
                dir.appendingPathComponent("org.yaml"), "    department: west\n    roles: [sales-manager]",
                "    department: west\n    roles: [sales-manager, finance]")
        })
        let id = try add(d, as: "erin", ["name=West One", "email=w1@example.com", "level=B"])
        let frank = try d.run(["can", "frank", "edit", id, "--explain"])
        #expect(frank.exitCode == 0 && frank.stdout.contains("default.manager"), "\(frank.stdout)\(frank.stderr)")
        // alice, in the east managers' group that grants edit, no longer sees bob's customers outside the group.
        let bobs = try add(d, ["name=East B", "email=e1@example.com", "level=B"])
        #expect(try d.run(["can", "alice", "view", bobs]).exitCode == 3)
    }

    @Test("8. a customer in a pool leaves every plain list and shows in the pool's list")
    func poolCustomersLeavePlainLists() throws {
        let d = try demo()
        let id = try add(d, ["name=Li Wang", "email=li@example.com", "level=A"])
        let returned = try d.run(["pool", "return", id, "--as", "bob", "--reason", "unreachable"])
        #expect(returned.stdout == "returned \(id) to pool 'east-sea'\n", "\(returned.stdout)\(returned.stderr)")
        for user in ["bob", "carol", "dora"] {
            #expect(!(try d.run(["customer", "list", "--as", user]).stdout.contains(id)), "\(user) still lists \(id)")
        }
        #expect(try d.run(["customer", "list", "--as", "dora", "--pool", "east-sea"]).stdout.contains(id))
        #expect(
            try d.run(["customer", "list", "--as", "carol", "--pool", "west-sea"]).stdout
                == "no customers in pool 'west-sea'\n")
        #expect(
            try d.run(["pool", "claim", id, "--as", "dora"]).stdout
                == "dora claimed \(id) and is now the account executive\n")
        #expect(try d.run(["customer", "list", "--as", "dora"]).stdout.contains(id))
    }

    @Test("9. the list is by number, marks followed customers with a star, and takes --table")
    func listOrderStarAndTable() throws {
        let d = try demo()
        var lines: [String] = []
        for n in [12, 3, 101, 7, 40, 9, 2, 58] {
            lines.append(
                #"{"id":"P\#(String(format: "%06d", n))","table":"individual","account_executive":"bob","fields":{"name":"N\#(n)","email":"n\#(n)@example.com","level":"A"}}"#
            )
        }
        lines.append(#"{"id":"O000005","table":"organization","account_executive":"bob","fields":{"name":"Org"}}"#)
        let file = try write(lines.joined(separator: "\n") + "\n", to: "many.jsonl", in: d)
        #expect(try d.run(["import", file, "--as", "carol"]).exitCode == 0)
        #expect(try d.run(["customer", "follow", "P000007", "--as", "bob"]).exitCode == 0)
        let list = try d.run(["customer", "list", "--as", "bob"]).stdout.split(separator: "\n")
        #expect(
            list.map { $0.dropFirst(2).prefix(7) } == [
                "O000005", "P000002", "P000003", "P000007", "P000009", "P000012", "P000040", "P000058", "P000101",
            ])
        #expect(list.filter { $0.hasPrefix("☆ ") }.map { $0.dropFirst(2).prefix(7) } == ["P000007"])
        let organizations = try d.run(["customer", "list", "--as", "bob", "--table", "organization"]).stdout
        #expect(organizations.split(separator: "\n").count == 1 && organizations.contains("O000005"))
    }

    @Test("10. a campaign view may name a table instead of a package")
    func campaignViewOverATable() throws {
        let d = try demo(edit: { dir in
            let text = try String(contentsOf: dir.appendingPathComponent("views.yaml"), encoding: .utf8)
            try
                (text
                + "  - id: main-calls\n    module: campaign\n    team: sales\n    table: individual\n    background_fields: [name]\n    agent_fields: [level]\n")
                .write(to: dir.appendingPathComponent("views.yaml"), atomically: true, encoding: .utf8)
        })
        let id = try add(d, ["name=Li Wang", "email=li@example.com", "level=A"])
        _ = try add(d, ["name=Org"], table: "organization")
        let listed = try d.run(["customer", "list", "--as", "bob", "--view", "main-calls"]).stdout
        #expect(listed.contains(id) && !listed.contains("O0000"), "\(listed)")
        #expect(try d.run(["customer", "edit", id, "--as", "bob", "--view", "main-calls", "level=B"]).exitCode == 0)
        #expect(try d.run(["customer", "edit", id, "--as", "bob", "--view", "main-calls", "name=Other"]).exitCode == 3)
    }

    @Test("11. a hidden standard field is out of sight; export --view follows the view; categoryCode exists")
    func hiddenStandardFieldsAndViews() throws {
        let d = try demo(edit: { dir in
            try self.replace(
                dir.appendingPathComponent("schema.yaml"), "      email: { unique: true }",
                "      email: { unique: true }\n      phone2: { hidden: true }")
        })
        let id = try add(
            d, ["name=Li Wang", "email=li@example.com", "level=A", "phone2=+86 138 0000 0000", "categoryCode=K-7"])
        let json = try d.run(["customer", "show", "--format", "json", "--as", "bob", id]).stdout
        #expect(!json.contains("phone2") && json.contains(#""categoryCode":"K-7""#), "\(json)")
        #expect(!(try d.run(["customer", "show", "--as", "bob", id]).stdout.contains("Phone 2")))
        #expect(!(try d.run(["customer", "list", "--as", "bob", "--format", "json"]).stdout.contains("phone2")))
        #expect(!(try d.run(["export", "--as", "carol"]).stdout.contains("phone2")))
        let template = try CLI.run(["template", "--table", "individual", "--config", d.config]).stdout
        #expect(!template.contains("Phone 2") && template.contains("Category code"), "\(template)")
        // The view's order and hidden fields, in JSON Lines and CSV alike.
        _ = try add(
            d, as: "carol", ["name=Acme", "level=A", "budget=10.50", "seats=5", "fax=+1 555 0100"],
            table: "organization")
        let csv = try d.run([
            "export", "--as", "carol", "--view", "account-overview", "--format", "csv", "--table", "organization",
        ]).stdout
        let header = csv.split(separator: "\r\n").first.map(String.init) ?? ""
        #expect(
            header.hasPrefix(
                "Id,Account executive,Service representative,Tags,Name,Organization level,Budget,Seats,Country"),
            "\(header)")
        #expect(!header.contains("Fax"), "\(header)")
        let jsonl = try d.run(["export", "--as", "carol", "--view", "account-overview"]).stdout
        let order = ["\"name\"", "\"level\"", "\"budget\"", "\"seats\""].compactMap { jsonl.range(of: $0)?.lowerBound }
        #expect(order.count == 4 && order == order.sorted() && !jsonl.contains("fax"), "\(jsonl)")
    }

    @Test("11. hidden fields stay out of the log and out of filters")
    func hiddenFieldsOutOfLogAndFilters() throws {
        let d = try demo(edit: { dir in
            try self.replace(
                dir.appendingPathComponent("schema.yaml"), "      email: { unique: true }",
                "      email: { unique: true }\n      phone2: { hidden: true }")
        })
        let id = try add(d, ["name=Li Wang", "email=li@example.com", "level=A", "phone2=555-1234"])
        #expect(!(try d.run(["log", id, "--as", "bob"]).stdout.contains("555-1234")))
        #expect(!(try d.run(["log", id, "--as", "carol", "--format", "json"]).stdout.contains("555-1234")))
        let filtered = try d.run(["customer", "list", "--as", "carol", "--where", #"customer.phone2 == "555-1234""#])
        #expect(filtered.exitCode == 3 && filtered.stderr.contains("phone2"), "\(filtered.stdout)\(filtered.stderr)")
        // An edit would answer whether the value was already so.
        #expect(try d.run(["customer", "edit", id, "--as", "carol", "phone2=555-1234"]).exitCode == 3)
        // Nor does the log of a deleted customer show it to an admin.
        #expect(try d.run(["customer", "delete", id, "--as", "carol"]).exitCode == 0)
        #expect(!(try d.run(["log", "--as", "carol", "--format", "json"]).stdout.contains("555-1234")))
    }

    // MARK: - The command line a person meets

    @Test("12. customer show prints a card by default and JSON on request; test, add take --format")
    func formats() throws {
        let d = try demo()
        let id = try add(d, ["name=Li Wang", "email=li@example.com", "level=A"])
        let card = try d.run(["customer", "show", "--as", "bob", id]).stdout
        #expect(card.hasPrefix("\(id)  (individual, team sales)\n"), "\(card)")
        #expect(
            card.contains("  Name ") && card.contains("E-mail") && card.contains("Account executive       bob"),
            "\(card)")
        let test = try CLI.run(["test", "--config", d.config, "--format", "json"])
        #expect(test.exitCode == 0 && test.stdout.hasPrefix(#"{"tests":"#), "\(test.stdout)")
        let added = try d.run([
            "customer", "add", "--as", "bob", "--table", "individual", "name=Mei", "email=mei@example.com", "level=B",
            "--format", "json",
        ])
        #expect(added.stdout == #"{"id":"P000002","duplicates":[]}"# + "\n")
    }

    @Test("13. a write that succeeds says what it did in one line")
    func successLines() throws {
        let d = try demo()
        let id = try add(d, ["name=Li Wang", "email=li@example.com", "level=A"])
        #expect(
            try d.run(["customer", "edit", id, "--as", "bob", "level=B", "email=wang@example.com"]).stdout
                == "\(id): 2 fields changed\n")
        #expect(
            try d.run(["customer", "edit", id, "--as", "bob", "level=B"]).stdout
                == "\(id): nothing changed (the values were already so)\n")
        #expect(
            try d.run(["share", id, "--as", "bob", "--users", "erin,dora"]).stdout
                == "shared \(id) with users erin, dora\n")
        #expect(try d.run(["share", id, "--as", "bob", "--users", "frank,frank"]).exitCode == 0)
        let shown = try d.run(["customer", "show", id, "--as", "bob", "--format", "json"]).stdout
        #expect(shown.contains(#""users":["erin","dora","frank"]"#), "a user named twice is shared with once: \(shown)")
        #expect(try d.run(["tag", "add", id, "vip", "--as", "bob"]).stdout == "tagged \(id) vip\n")
        #expect(try d.run(["tag", "set", id, "key", "--as", "bob"]).stdout == "set the tags of \(id) to key\n")
        #expect(try d.run(["pool", "return", id, "--as", "bob", "--reason", "unreachable"]).exitCode == 0)
        #expect(
            try d.run(["pool", "assign", id, "--as", "carol", "--to", "dora"]).stdout == "assigned \(id) to dora\n")
        let out = d.dir.appendingPathComponent("t.csv").path
        #expect(
            try CLI.run(["template", "--table", "organization", "--out", out, "--config", d.config]).stdout
                == "wrote the organization table's import template to \(out)\n")
    }

    @Test(
        "14. usage errors exit 64 with a suggestion",
        arguments: [
            (["validat"], "'validat' is not a command of clientele; did you mean 'clientele validate'?"),
            (["follow", "P000001"], "did you mean 'clientele customer follow'?"),
            (
                ["customer", "folow"],
                "'folow' is not a command of clientele customer; did you mean 'clientele customer follow'?"
            ),
            (["customer", "share", "P000001"], "did you mean 'clientele share'?"),
            (["log", "--as", "carol", "--type", "bogus"], "the types are create, edit, delete"),
            (["log", "--as", "carol", "--type", "folow"], "did you mean 'follow'?"),
            (["unshare", "P000001", "--as", "bob"], "--all, or --users, --departments or --roles"),
        ])
    func usageErrors(_ arguments: [String], _ says: String) throws {
        let d = try demo()
        let run = try CLI.run(arguments + ["--config", d.config])
        #expect(run.exitCode == 64, "\(run.stderr)")
        #expect(run.stderr.contains(says), "\(run.stderr)")
    }

    @Test("15. the hints print commands that work; init writes whole lines and says its default once")
    func hints() throws {
        let d = try demo()
        try replace(
            d.dir.appendingPathComponent("schema.yaml"), "options: [A, B, C, VIP]", "options: [A, B, C, VIP, D]")
        let plan = try CLI.run(["plan", "--config", d.config])
        let hint = try #require(plan.stdout.split(separator: "\n").last { $0.hasPrefix("Apply with '") })
        let command = hint.dropFirst("Apply with '".count).dropLast(2).split(separator: " ").map(String.init)
        #expect(command == ["clientele", "apply", "--config", d.config, "--as", "carol"], "\(hint)")
        // Without a terminal apply asks for --yes, naming the whole command; with it the hint applies.
        let asked = try CLI.run(Array(command.dropFirst()))
        #expect(
            asked.exitCode == 1 && asked.stderr.contains("run 'clientele apply --config \(d.config) --as carol --yes'"),
            "\(asked.stderr)")
        #expect(try CLI.run(Array(command.dropFirst()) + ["--yes"]).exitCode == 0)
        let rollback = try CLI.run(["rollback", "1", "--config", d.config, "--as", "carol"])
        #expect(
            rollback.exitCode == 1
                && rollback.stderr.contains("run 'clientele rollback 1 --config \(d.config) --as carol --yes'"),
            "\(rollback.stderr)")
        // A directory that looks like an option is written so that it cannot be read as one.
        let dash = d.dir.appendingPathComponent("-crm")
        #expect(try CLI.run(["init", "./-crm", "--example", "sales"], in: d.dir).exitCode == 0)
        #expect(try CLI.run(["apply", "--config=-crm", "--as", "carol"], in: d.dir).exitCode == 0)
        try replace(dash.appendingPathComponent("schema.yaml"), "options: [A, B, C, VIP]", "options: [A, B, C, VIP, D]")
        let dashed = try CLI.run(["plan", "--config=-crm"], in: d.dir).stdout
        #expect(dashed.contains("Apply with 'clientele apply --config ./-crm --as carol'."), "\(dashed)")
        let help = try CLI.run(["init", "--help"]).stdout
        #expect(help.components(separatedBy: "default").count == 3, "\(help)")
        for name in try FileManager.default.contentsOfDirectory(atPath: d.dir.path)
        where name.hasSuffix(".yaml") || name.hasSuffix(".csv") {
            #expect(
                try Data(contentsOf: d.dir.appendingPathComponent(name)).last == 0x0A,
                "\(name) does not end with a newline")
        }
    }
}
