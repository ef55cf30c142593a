import ClienteleTestSupport
import Foundation
import Testing

/// The pool operations end to end, through the binary, with time given by `--now`:
/// returns and their reasons, claims and their limits, assignment, masking while
/// in the pool, follow-ups, and the automatic return sweep with its dry run.
@Suite("Pools: return, claim, assign and the sweep")
struct PoolCommandTests {
    struct Demo {
        let dir: URL
        func run(_ arguments: [String], at time: String) throws -> CLIRun {
            try CLI.run(arguments + ["--config", dir.path, "--now", time])
        }
    }

    /// The sales example with tighter claim limits: 3 held, 2 a day; bob and dora (east
    /// sales reps) are members of east-sea, carol its admin. Bob owns P000001...P000006.
    func demo(customers: Int = 6) throws -> Demo {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        let pools = dir.appendingPathComponent("pools.yaml")
        let text = try String(contentsOf: pools, encoding: .utf8)
            .replacingOccurrences(of: "max_held: 200", with: "max_held: 3").replacingOccurrences(
                of: "max_per_day: 20", with: "max_per_day: 2")
        try text.write(to: pools, atomically: true, encoding: .utf8)
        let d = Demo(dir: dir)
        #expect(try d.run(["apply", "--as", "carol"], at: "2026-11-01T09:00:00Z").exitCode == 0)
        for k in 1...customers {
            let added = try d.run(
                [
                    "customer", "add", "--as", "bob", "--table", "individual", "name=Customer \(k)",
                    "email=c\(k)@example.com",
                    "phone1=55501\(k)",
                ], at: "2026-11-01T09:00:00Z")
            #expect(added.exitCode == 0, "\(added.stderr)")
        }
        return d
    }

    func document(_ d: Demo, _ id: String, as user: String = "carol") throws -> [String: Any] {
        let shown = try d.run(["customer", "show", "--format", "json", "--as", user, id], at: "2026-11-01T09:00:00Z")
        return (try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    @Test(
        "a return needs one of the pool's reasons, empties the account executive at once and records who, when and why")
    func returns() throws {
        let d = try demo()
        let t = "2026-11-02T10:00:00Z"
        let missing = try d.run(["pool", "return", "P000001", "--as", "bob"], at: t)
        #expect(missing.exitCode == 1 && missing.stderr.contains("pool 'east-sea' needs a reason"), "\(missing.stderr)")
        let wrong = try d.run(["pool", "return", "P000001", "--as", "bob", "--reason", "unreachble"], at: t)
        #expect(wrong.exitCode == 1 && wrong.stderr.contains("did you mean 'unreachable'"), "\(wrong.stderr)")
        let other = try d.run(["pool", "return", "P000001", "--as", "dora", "--reason", "other"], at: t)
        #expect(
            other.exitCode == 1 && other.stderr.contains("there is no customer 'P000001'"),
            "only the account executive or a pool admin returns, and dora may not view it: \(other.stderr)")
        #expect(try d.run(["visible", "bob", "--action", "edit", "--count"], at: t).stdout == "6\n")
        #expect(
            try d.run(["pool", "return", "P000001", "--as", "bob", "--reason", "unreachable"], at: t).exitCode == 0)
        #expect(
            try d.run(["visible", "bob", "--action", "edit", "--count"], at: t).stdout == "5\n",
            "it leaves bob's list at once")
        let returned = try document(d, "P000001")
        #expect(returned["account_executive"] is NSNull && returned["pool"] as? String == "east-sea")
        #expect(returned["previous_account_executive"] as? String == "bob" && returned["returned_at"] as? String == t)
        #expect(returned["return_reason"] as? String == "unreachable" && returned["pool_policy_version"] as? Int == 1)
        let log = try d.run(["log", "P000001", "--type", "return", "--as", "carol"], at: t).stdout
        #expect(log.contains("bob  return  P000001") && log.contains("reason: unreachable"), "\(log)")
        let again = try d.run(["pool", "return", "P000001", "--as", "carol", "--reason", "other"], at: t)
        #expect(again.exitCode == 1 && again.stderr.contains("already in pool 'east-sea'"))
        // An owner for a customer in a pool comes from the pool (assign empties `pool`), not from an edit.
        let edited = try d.run(["customer", "edit", "P000001", "account_executive=dora", "--as", "carol"], at: t)
        #expect(
            edited.exitCode == 1
                && edited.stderr.contains("sits in pool 'east-sea': 'clientele pool assign P000001 --to dora'"),
            "\(edited.stderr)")
        #expect(try document(d, "P000001")["pool"] as? String == "east-sea")
    }

    @Test("a plan that removes a pool still holding customers is refused until they have owners")
    func removedPoolWithCustomers() throws {
        let d = try demo(customers: 2)
        let t = "2026-11-02T10:00:00Z"
        #expect(try d.run(["pool", "return", "P000001", "--as", "bob", "--reason", "other"], at: t).exitCode == 0)
        let pools = d.dir.appendingPathComponent("pools.yaml")
        let text = try String(contentsOf: pools, encoding: .utf8)
        // east-sea goes; west-sea stays.
        let start = try #require(text.range(of: "  - id: east-sea"))
        let end = try #require(text.range(of: "  - id: west-sea"))
        try (String(text[..<start.lowerBound]) + String(text[end.lowerBound...]))
            .write(to: pools, atomically: true, encoding: .utf8)
        let message =
            "1 customer sits in pool 'east-sea', which this config removes: give it an owner first "
            + "('clientele pool assign P000001 --to USER'), or keep the pool"
        let plan = try d.run(["plan"], at: t)
        #expect(plan.exitCode == 1 && plan.stderr.contains(message), "\(plan.stderr)")
        let apply = try d.run(["apply", "--as", "carol", "--yes"], at: t)
        #expect(apply.exitCode == 1 && apply.stderr.contains(message))
        #expect(try d.run(["pool", "assign", "P000001", "--to", "dora", "--as", "carol"], at: t).exitCode == 0)
        let planned = try d.run(["plan"], at: t)
        #expect(planned.exitCode == 0 && !planned.stderr.contains("east-sea"), "\(planned.stderr)")
    }

    @Test("hide_in_pool masks phones and e-mail for members while the customer is in the pool, not for its admins")
    func masking() throws {
        let d = try demo()
        #expect(
            try d.run(["pool", "return", "P000001", "--as", "bob", "--reason", "other"], at: "2026-11-02T10:00:00Z")
                .exitCode == 0)
        let member = try document(d, "P000001", as: "dora")["fields"] as? [String: Any]
        #expect(
            member?["email"] as? String == "****" && member?["phone1"] as? String == "****"
                && member?["name"] as? String == "Customer 1")
        let admin = try document(d, "P000001", as: "carol")["fields"] as? [String: Any]
        #expect(admin?["email"] as? String == "c1@example.com")
        let listed = try d.run(
            ["customer", "list", "--pool", "east-sea", "--as", "dora", "--format", "json"], at: "2026-11-02T10:00:00Z")
        #expect(
            listed.exitCode == 0 && listed.stdout.contains("P000001") && !listed.stdout.contains("c1@example.com"),
            "\(listed.stdout)")
        let exported = try d.run(["export", "--as", "dora", "--format", "jsonl"], at: "2026-11-02T10:00:00Z")
        #expect(exported.exitCode == 0 && !exported.stdout.contains("c1@example.com"), "\(exported.stdout)")
        let outsider = try d.run(
            ["customer", "list", "--pool", "east-sea", "--as", "erin"], at: "2026-11-02T10:00:00Z")
        #expect(outsider.exitCode == 3 && outsider.stderr.contains("only its members and admins"))
        #expect(try d.run(["pool", "claim", "P000001", "--as", "dora"], at: "2026-11-03T10:00:00Z").exitCode == 0)
        let claimed = try document(d, "P000001", as: "dora")["fields"] as? [String: Any]
        #expect(claimed?["email"] as? String == "c1@example.com", "claimed, the fields show again")
    }

    @Test(
        "claims: the previous owner's cooldown, the daily limit and its reset, and max_held, each named with when it frees up"
    )
    func claimLimits() throws {
        let d = try demo()
        #expect(
            try d.run(
                [
                    "pool", "return", "P000001", "P000002", "P000003", "P000004", "P000005", "P000006", "--as", "bob",
                    "--reason", "no-budget",
                ],
                at: "2026-11-02T10:00:00Z"
            ).exitCode == 0)
        let cooldown = try d.run(["pool", "claim", "P000001", "--as", "bob"], at: "2026-11-20T10:00:00Z")
        #expect(
            cooldown.exitCode == 3
                && cooldown.stderr.contains("cooldown of 30 days; it can be claimed again from 2026-12-02T10:00:00Z"),
            "\(cooldown.stderr)")
        #expect(
            try d.run(["pool", "claim", "P000001", "P000002", "--as", "dora"], at: "2026-11-20T10:00:00Z").exitCode == 0
        )
        let daily = try d.run(["pool", "claim", "P000003", "--as", "dora"], at: "2026-11-20T18:00:00Z")
        #expect(
            daily.exitCode == 3 && daily.stderr.contains("max_per_day")
                && daily.stderr.contains("2026-11-21T00:00:00Z"), "\(daily.stderr)")
        #expect(
            try d.run(["pool", "claim", "P000003", "--as", "dora"], at: "2026-11-21T08:00:00Z").exitCode == 0,
            "a new day")
        let held = try d.run(["pool", "claim", "P000004", "--as", "dora"], at: "2026-11-21T09:00:00Z")
        #expect(
            held.exitCode == 3 && held.stderr.contains("holds 3 customers") && held.stderr.contains("max_held"),
            "\(held.stderr)")
        #expect(
            try d.run(["pool", "claim", "P000001", "--as", "bob"], at: "2026-12-02T10:00:00Z").exitCode == 1,
            "P000001 is dora's now")
        #expect(
            try d.run(["pool", "claim", "P000004", "--as", "bob"], at: "2026-12-02T10:00:00Z").exitCode == 0,
            "after the cooldown")
        let outsider = try d.run(["pool", "claim", "P000005", "--as", "erin"], at: "2026-12-02T10:00:00Z")
        // Erin may not view the pool's customers: to her P000005 does not exist.
        #expect(
            outsider.exitCode == 1 && outsider.stderr == "error: there is no customer 'P000005'\n", "\(outsider.stderr)"
        )
    }

    @Test("pool admins assign; others may not")
    func assign() throws {
        let d = try demo()
        #expect(
            try d.run(["pool", "return", "P000001", "--as", "bob", "--reason", "other"], at: "2026-11-02T10:00:00Z")
                .exitCode == 0)
        let member = try d.run(
            ["pool", "assign", "P000001", "--to", "dora", "--as", "dora"], at: "2026-11-02T11:00:00Z")
        #expect(member.exitCode == 3, "\(member.stderr)")
        #expect(
            try d.run(["pool", "assign", "P000001", "--to", "alice", "--as", "carol"], at: "2026-11-02T11:00:00Z")
                .exitCode == 0)
        let assigned = try document(d, "P000001")
        #expect(assigned["account_executive"] as? String == "alice" && assigned["pool"] is NSNull)
        #expect(
            try d.run(["log", "P000001", "--type", "assign", "--as", "carol"], at: "2026-11-02T11:00:00Z").stdout
                .contains("carol  assign  P000001"))
    }

    @Test(
        "the sweep returns what is due, skips exempt tags, warns ahead, and its dry run lists exactly what it then does"
    )
    func sweep() throws {
        let d = try demo()
        // P000001: a follow-up on 11-20 restarts its 30-day clock; P000002: exempt; the rest are due on 12-01 (created
        // 11-01).
        #expect(
            try d.run(
                ["customer", "followup", "P000001", "--note", "called", "--as", "bob"], at: "2026-11-20T09:00:00Z"
            ).exitCode == 0)
        #expect(
            try d.run(["tag", "add", "P000002", "key-account", "--as", "bob"], at: "2026-11-20T09:00:00Z").exitCode == 0
        )
        let early = try d.run(["pool", "sweep", "--dry-run", "--as", "carol"], at: "2026-11-29T10:00:00Z")
        #expect(early.stdout.contains("warning: P000003 returns to pool 'east-sea' on 2026-12-01"), "\(early.stdout)")
        #expect(early.stdout.hasSuffix("0 customers would be returned, 4 warnings\n"), "\(early.stdout)")
        let dry = try d.run(["pool", "sweep", "--dry-run", "--as", "carol"], at: "2026-12-02T10:00:00Z")
        #expect(dry.exitCode == 0)
        #expect(
            try d.run(["visible", "bob", "--action", "edit", "--count"], at: "2026-12-02T10:00:00Z").stdout == "6\n",
            "a dry run changes nothing")
        let done = try d.run(["pool", "sweep", "--as", "carol"], at: "2026-12-02T10:00:00Z")
        #expect(done.exitCode == 0)
        #expect(
            dry.stdout.replacingOccurrences(of: "would return", with: "returns").replacingOccurrences(
                of: "would be returned", with: "returned") == done.stdout,
            "\(dry.stdout)\n---\n\(done.stdout)")
        let listed = Set(
            done.stdout.split(separator: "\n").filter { $0.contains("returns P") }.map {
                String($0.split(separator: " ")[1])
            })
        #expect(listed == ["P000003", "P000004", "P000005", "P000006"])
        for id in listed { #expect(try document(d, id)["pool"] as? String == "east-sea") }
        #expect(try document(d, "P000001")["account_executive"] as? String == "bob", "followed up")
        #expect(try document(d, "P000002")["account_executive"] as? String == "bob", "exempt")
        let log = try d.run(["log", "P000003", "--type", "return", "--as", "carol"], at: "2026-12-02T10:00:00Z").stdout
        #expect(
            log.contains("carol  return") && log.contains("automatic return: no followup for 30 days (pool east-sea)"),
            "\(log)")
        let json = try d.run(
            ["pool", "sweep", "--dry-run", "--format", "json", "--as", "carol"], at: "2026-12-02T10:00:00Z")
        #expect(json.stdout.contains(#""returns":[]"#), "nothing is due twice: \(json.stdout)")
    }

    @Test("no_deal_days runs from the last deal: follow-ups alone do not stop it")
    func dealClock() throws {
        let d = try demo(customers: 2)
        // Both followed up on 01-25; only P000002 records a deal. No deal for 90 days since 11-01 is due on 01-30.
        #expect(
            try d.run(["customer", "followup", "P000001", "--note", "call", "--as", "bob"], at: "2027-01-25T09:00:00Z")
                .exitCode == 0)
        #expect(
            try d.run(
                ["customer", "followup", "P000002", "--note", "signed", "--deal", "won", "--as", "bob"],
                at: "2027-01-25T09:00:00Z"
            ).exitCode == 0)
        let bad = try d.run(
            ["customer", "followup", "P000002", "--note", "x", "--deal", "maybe", "--as", "bob"],
            at: "2027-01-25T09:00:00Z")
        #expect(bad.exitCode == 1 && bad.stderr.contains("--deal is won or lost"))
        let sweep = try d.run(
            ["pool", "sweep", "--dry-run", "--format", "json", "--as", "carol"], at: "2027-02-01T09:00:00Z")
        let parsed = (try JSONSerialization.jsonObject(with: Data(sweep.stdout.utf8)) as? [String: Any]) ?? [:]
        let returns = (parsed["returns"] as? [[String: Any]]) ?? []
        #expect(
            returns.map { $0["id"] as? String } == ["P000001"] && returns.first?["rule"] as? String == "no_deal_days",
            "\(sweep.stdout)")
        #expect(try document(d, "P000002")["deal"] as? String == "won")
    }

    @Test(
        "8 processes claiming from one pool at once never pass max_per_day or max_held, and the log accounts for every claim"
    )
    func race() throws {
        let d = try demo(customers: 24)
        let ids = (1...24).map { String(format: "P%06d", $0) }
        #expect(
            try d.run(["pool", "return"] + ids + ["--as", "bob", "--reason", "other"], at: "2026-11-02T10:00:00Z")
                .exitCode == 0)
        var owned = 0
        for (round, day) in ["2026-11-10", "2026-11-11", "2026-11-12"].enumerated() {
            var processes: [Process] = []
            for k in 0..<8 {
                let id = ids[round * 8 + k]
                processes.append(
                    try StoreDurabilityTests.start([
                        "pool", "claim", id, "--as", "dora", "--config", d.dir.path, "--now", "\(day)T10:00:0\(k)Z",
                    ]).0)
            }
            for p in processes { p.waitUntilExit() }
            let succeeded = processes.filter { $0.terminationStatus == 0 }.count
            #expect(processes.allSatisfy { $0.terminationStatus == 0 || $0.terminationStatus == 3 })
            // 2 a day, and never more than 3 held.
            #expect(succeeded == min(2, 3 - owned), "round \(round): \(succeeded) claims succeeded")
            owned += succeeded
        }
        let listed = try d.run(["customer", "list", "--as", "dora", "--format", "json"], at: "2026-11-12T12:00:00Z")
        let mine = ((try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]) ?? []).filter
        { $0["account_executive"] as? String == "dora" }
        #expect(mine.count == 3 && owned == 3)
        let log = try d.run(["log", "--type", "claim", "--as", "carol"], at: "2026-11-12T12:00:00Z").stdout
        #expect(log.split(separator: "\n").count == 3, "one log entry per claim: \(log)")
    }
}
