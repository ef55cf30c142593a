import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// The use cases called as a front end calls them, in process, on the in-memory
/// store: no binary, no files.
@Suite("The use cases run in process on the in-memory store")
struct KitInProcessTests {
    static let time = "2026-12-01T10:00:00Z"

    /// A small company: an admin, a seller and the seller's colleague; one custom select.
    static func config(level: String = "level", was: String? = nil, options: String = "[A, B, C]") -> [(
        path: String, text: String
    )] {
        [
            (
                "clientele.yaml",
                """
                version: 1
                name: kit
                extends: [standard-fields, default-rules]
                teams:
                  - { id: sales, name: Sales }
                departments:
                  - { id: hq, name: Headquarters }
                roles:
                  - { id: admin, name: Administrator }
                  - { id: rep, name: Representative }
                users:
                  - { id: ada, name: Ada, teams: [sales], department: hq, roles: [admin] }
                  - { id: sam, name: Sam, teams: [sales], department: hq, roles: [rep], manager: ada }
                  - { id: kim, name: Kim, teams: [sales], department: hq, roles: [rep], manager: ada }
                tables:
                  individual:
                    number: { prefix: P, digits: 6 }
                    standard:
                      name: { required: true }
                fields:
                  - identity: \(level)
                    display: Level
                    team: sales
                    table: individual
                    type: select
                    options: \(options)\(was.map { "\n    was: \($0)" } ?? "")
                """
            )
        ]
    }

    static func compile(_ files: [(path: String, text: String)]) throws -> CompiledConfig {
        let (config, errors) = SeededStores.compile(files)
        #expect(errors.isEmpty)
        return try #require(config)
    }

    /// A memory store with the first version applied, and the store under it.
    static func appliedStore() throws -> AppliedStore {
        try #require(try SeededStores.memory(config(), by: "ada", at: time))
    }

    @Test("add, show, edit and delete, each checked by the rules and logged")
    func customerLifecycle() throws {
        let applied = try Self.appliedStore()
        let operations = CustomerOperations(config: applied.config, store: applied.store)
        let id = try operations.add(
            as: "sam", team: "sales", table: .individual, package: nil,
            assignments: [("name", .text("Li Wang")), ("level", .text("B"))], time: Self.time
        ).id
        #expect(id == "P000001")
        #expect(try operations.show(as: "sam", id: id)["fields"]?["level"]?.stringValue == "B")
        // Kim is not the account executive: the default rules let her neither edit nor view.
        #expect(throws: OperationError.self) {
            try operations.edit(as: "kim", id: id, assignments: [("level", .text("C"))], time: Self.time)
        }
        #expect(
            try operations.edit(as: "sam", id: id, assignments: [("level", .text("C"))], time: Self.time) == ["level"])
        #expect(throws: OperationError.self) {
            try operations.edit(as: "sam", id: id, assignments: [("level", .text("Z"))], time: Self.time)
        }
        #expect(try applied.store.document(id)?["fields"]?["level"]?.stringValue == "C")
        try operations.delete(as: "ada", id: id, time: Self.time)
        #expect(applied.store.count == 0)
        #expect(applied.store.isTaken(id))
        // A new customer never takes a deleted customer's number.
        #expect(
            try operations.add(
                as: "sam", team: "sales", table: .individual, package: nil, assignments: [("name", .text("Bo"))],
                time: Self.time
            ).id == "P000002")
        let types = try applied.store.logEntries().compactMap { $0["type"]?.stringValue }
        #expect(types == ["apply", "create", "edit", "delete", "create"])
    }

    @Test("a plan counts what a rename and a removed option do; apply migrates in one batch and keeps what it removes")
    func planAndApply() throws {
        let applied = try Self.appliedStore()
        let operations = CustomerOperations(config: applied.config, store: applied.store)
        for (name, level) in [("Li", "A"), ("Ana", "B"), ("Bo", "C"), ("Cy", "C")] {
            _ = try operations.add(
                as: "sam", team: "sales", table: .individual, package: nil,
                assignments: [("name", .text(name)), ("level", .text(level))], time: Self.time)
        }
        // `level` becomes `tier`, and option C goes: two values are lost.
        let files = Self.config(level: "tier", was: "level", options: "[A, B]")
        let (plan, context) = try Planner.plan(
            store: applied.store, applied: applied.config, new: Self.compile(files), files: files, now: 0)
        #expect(plan.version == 2)
        #expect(plan.errors.isEmpty)
        #expect(plan.losesData)
        #expect(throws: OperationError.self) {
            try ConfigApplier.apply(
                plan, context: context, store: applied.store, allowDataLoss: false, actor: "ada", time: Self.time)
        }
        #expect(applied.store.version?.number == 1)
        let outcome = try ConfigApplier.apply(
            plan, context: context, store: applied.store, allowDataLoss: true, actor: "ada", time: Self.time)
        #expect(outcome.version == 2)
        #expect(outcome.recordsChanged == 4)
        #expect(applied.store.version?.number == 2)
        let migrated = try #require(try applied.store.document("P000002"))
        #expect(migrated["fields"]?["tier"]?.stringValue == "B")
        #expect(migrated["fields"]?["level"] == nil)
        #expect(try applied.store.document("P000003")?["fields"]?["tier"] == nil)
        let memory = try #require(applied.store as? MemoryStore)
        let backup = try #require(outcome.backup.flatMap { memory.backup(($0 as NSString).lastPathComponent) })
        #expect(backup.split(separator: "\n").count == 2)
        // The store now runs under version 2.
        let reopened = try #require(try AppliedStore(store: applied.store))
        #expect(reopened.version.number == 2)
        #expect(
            reopened.config.model.schema.fields(
                team: "sales", table: .individual, package: nil, inheritance: .everything
            ).contains { $0.identities.contains("tier") })
    }

    @Test("a plan counts who gains a customer when a standard field's options are merged by `was:` a rule reads")
    func standardOptionRename() throws {
        func files(_ options: String) -> [(path: String, text: String)] {
            [
                (
                    "clientele.yaml",
                    """
                    version: 1
                    extends: [standard-fields, default-rules]
                    teams: [{ id: sales }]
                    roles: [{ id: admin }]
                    users:
                      - { id: ada, teams: [sales], roles: [admin] }
                      - { id: sam, teams: [sales] }
                      - { id: kim, teams: [sales] }
                    tables:
                      individual:
                        standard:
                          industry: { options: \(options) }
                    rules:
                      - { id: retail-desk, allow: [view], when: 'customer.industry == "retail" and user.id == "kim"' }
                    """
                )
            ]
        }
        let applied = try #require(try SeededStores.memory(files("[software, retail]"), by: "ada", at: Self.time))
        let operations = CustomerOperations(config: applied.config, store: applied.store)
        let id = try operations.add(
            as: "sam", team: "sales", table: .individual, package: nil,
            assignments: [("name", .text("Acme")), ("industry", .text("software"))], time: Self.time
        ).id
        let next = files("[{ value: retail, was: [software] }]")
        let (plan, _) = try Planner.plan(
            store: applied.store, applied: applied.config, new: Self.compile(next), files: next, now: 0)
        let kim = try #require(plan.access.users.first { $0.user == "kim" })
        #expect(kim.view.gained == 1 && kim.view.gainedSample == [id])
        #expect(plan.access.users.map(\.user) == ["kim"])
    }

    @Test("a plan that removes a package counts its customers as lost by everyone who saw them")
    func packageRemoved() throws {
        let base = """
            version: 1
            extends: [standard-fields, default-rules]
            teams: [{ id: sales }]
            roles: [{ id: admin }]
            users:
              - { id: ada, teams: [sales], roles: [admin] }
              - { id: sam, teams: [sales] }
            """
        let before = [("clientele.yaml", base + "\npackages:\n  - { id: fair, team: sales, table: organization }\n")]
        let applied = try #require(try SeededStores.memory(before, by: "ada", at: Self.time))
        let operations = CustomerOperations(config: applied.config, store: applied.store)
        let kept = try operations.add(
            as: "sam", team: "sales", table: .organization, package: nil, assignments: [("name", .text("Beta"))],
            time: Self.time
        ).id
        let removed = try operations.add(
            as: "sam", team: "sales", table: .organization, package: "fair", assignments: [("name", .text("Acme"))],
            time: Self.time
        ).id
        let after = [("clientele.yaml", base + "\n")]
        let (plan, _) = try Planner.plan(
            store: applied.store, applied: applied.config, new: Self.compile(after), files: after, now: 0)
        #expect(plan.losesData)
        for user in ["ada", "sam"] {
            let impact = try #require(plan.access.users.first { $0.user == user })
            #expect(impact.view.lost == 1 && impact.view.lostSample == [removed] && impact.view.gained == 0)
            #expect(impact.edit.lost == 1 && impact.edit.lostSample == [removed])
        }
        #expect(!plan.access.users.contains { $0.view.lostSample.contains(kept) })
    }

    @Test("a customer left in a pool the config no longer has gets an owner by an edit, which takes it out")
    func strandedPoolCustomer() throws {
        let applied = try Self.appliedStore()
        let operations = CustomerOperations(config: applied.config, store: applied.store)
        let id = try operations.add(
            as: "sam", team: "sales", table: .individual, package: nil, assignments: [("name", .text("Li"))],
            time: Self.time
        ).id
        guard case .object(var members) = try #require(try applied.store.document(id)) else {
            Issue.record("a customer is an object")
            return
        }
        members.removeAll { $0.0 == "account_executive" || $0.0 == "pool" }
        members += [("account_executive", .null), ("pool", .string("gone"))]
        try applied.store.commit([.put(id: id, document: .object(members))])
        let changed = try operations.edit(
            as: "ada", id: id, assignments: [("account_executive", .text("kim"))], time: Self.time)
        #expect(changed == ["pool", "account_executive"])
        let document = try #require(try applied.store.document(id))
        #expect(document["account_executive"]?.stringValue == "kim" && document["pool"] == .null)
    }

    @Test("a pool removed with its team needs no owners for the customers removed with it; one that stays does")
    func poolRemovedWithItsTeam() throws {
        func files(expo: Bool, expoPool: Bool) -> [(path: String, text: String)] {
            [
                (
                    "clientele.yaml",
                    """
                    version: 1
                    extends: [standard-fields, default-rules]
                    teams: [{ id: sales }\(expo ? ", { id: expo }" : "")]
                    roles: [{ id: admin }]
                    users:
                      - { id: ada, teams: [sales\(expo ? ", expo" : "")], roles: [admin] }
                      - { id: sam, teams: [sales\(expo ? ", expo" : "")] }
                    pools:
                      - { id: sales-sea, team: sales, admins: { users: [ada] }, members: { users: [sam] }, receives: { users: [sam] } }
                    \(expoPool ? "  - { id: expo-sea, team: expo, admins: { users: [ada] }, members: { users: [sam] }, receives: { users: [sam] } }" : "")
                    """
                )
            ]
        }
        let applied = try #require(try SeededStores.memory(files(expo: true, expoPool: true), by: "ada", at: Self.time))
        let operations = CustomerOperations(config: applied.config, store: applied.store)
        let id = try operations.add(
            as: "sam", team: "expo", table: .individual, package: nil, assignments: [("name", .text("Li"))],
            time: Self.time
        ).id
        _ = try operations.returnToPool(as: "sam", ids: [id], reason: nil, time: Self.time)
        #expect(try applied.store.document(id)?["pool"]?.stringValue == "expo-sea")
        // The team goes with its pool: its customers go too, and nobody needs to own them first.
        let withoutTeam = files(expo: false, expoPool: false)
        let (removed, _) = try Planner.plan(
            store: applied.store, applied: applied.config, new: Self.compile(withoutTeam), files: withoutTeam, now: 0)
        #expect(removed.pools.stranded.isEmpty)
        #expect(removed.errors.isEmpty, "\(removed.errors)")
        // The team stays and its pool goes: the customer in it needs an owner first.
        let withoutPool = files(expo: true, expoPool: false)
        let (stranded, _) = try Planner.plan(
            store: applied.store, applied: applied.config, new: Self.compile(withoutPool), files: withoutPool, now: 0)
        #expect(stranded.pools.stranded.map(\.pool) == ["expo-sea"])
        #expect(stranded.errors.count == 1)
    }

    @Test("`now` in a filter is the clock (or the time a front end gives), not 1970")
    func nowIsTheClock() throws {
        let applied = try Self.appliedStore()
        let operations = CustomerOperations(config: applied.config, store: applied.store)
        _ = try operations.add(
            as: "sam", team: "sales", table: .individual, package: nil, assignments: [("name", .text("Li"))],
            time: Self.time
        ).id
        let listing = CustomerListing(config: applied.config, store: applied.store)
        var query = CustomerListing.Query()
        query.whereExpression = "customer.created_at < now"
        #expect(try listing.run(as: "sam", query).count == 1)
        query.now = try #require(Timestamp.parse("2026-01-01T00:00:00Z"))
        #expect(try listing.run(as: "sam", query).isEmpty, "created on 2026-12-01, after that `now`")
    }

    @Test("a batch of decisions reads CRLF lines as a file written on Windows")
    func batchWithCRLF() throws {
        let applied = try Self.appliedStore()
        let id = try CustomerOperations(config: applied.config, store: applied.store)
            .add(
                as: "sam", team: "sales", table: .individual, package: nil, assignments: [("name", .text("Li"))],
                time: Self.time
            ).id
        let decisions = try Decisions(stored: applied)
        let text =
            "{\"user\":\"sam\",\"action\":\"view\",\"customer\":\"\(id)\"}\r\n{\"user\":\"kim\",\"action\":\"view\",\"customer\":\"\(id)\"}\r\n"
        let (lines, failed) = try decisions.batch(text, path: "requests.jsonl")
        #expect(failed == 0)
        #expect(lines.split(separator: "\n").map { $0.contains("\"allowed\":true") } == [true, false])
    }

    @Test("claiming a customer outside every pool says so only to those who may view it")
    func claimOutsidePools() throws {
        let applied = try Self.appliedStore()
        let operations = CustomerOperations(config: applied.config, store: applied.store)
        let id = try operations.add(
            as: "sam", team: "sales", table: .individual, package: nil, assignments: [("name", .text("Li"))],
            time: Self.time
        ).id
        for (user, message) in [("ada", "\(id) is in no pool"), ("kim", "there is no customer '\(id)'")] {
            do {
                try operations.claim(as: user, ids: [id], time: Self.time)
                Issue.record("\(user) claimed a customer outside every pool")
            } catch {
                #expect(error.description == message)
            }
        }
    }
}
