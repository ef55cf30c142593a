import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// The access impact of a config change equals deciding, for every user and
/// customer, under the applied policy and under the new one: on random worlds
/// whose rules or permission groups change, through each way the calculator
/// takes (changed rules' reach, whole lists of group members, whole lists of everyone).
@Suite("Access impact equals deciding on every user and customer")
struct AccessImpactTests {
    typealias World = AccessPropertyTests.World

    /// The world with one of its rules replaced, a rule added, a group's grants changed,
    /// or a user's department, roles or activity changed.
    static func changed(_ w: World, _ rng: inout AccessPropertyTests.RNG) -> World {
        var next = w
        let other = AccessPropertyTests.world(&rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 3 where !next.users.isEmpty:
            // The organisation: a user moves to another department, or changes roles, or leaves.
            let k = Int.random(in: 0..<next.users.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: next.users[k].department = w.departments.randomElement(using: &rng)!.id
            case 1: next.users[k].roles = w.roles.filter { _ in Bool.random(using: &rng) }
            default: next.users[k].active.toggle()
            }
        case 0 where !next.rules.isEmpty:
            let k = Int.random(in: 0..<next.rules.count, using: &rng)
            var rule = next.rules[k]
            rule.when = AccessPropertyTests.expression(w, &rng, depth: 0)
            if rule.effect != "granted" && Bool.random(using: &rng) {
                rule.effect = rule.effect == "deny" ? "allow" : "deny"
            }
            next.rules[k] = rule
        case 1 where !next.groups.isEmpty:
            let k = Int.random(in: 0..<next.groups.count, using: &rng)
            next.groups[k].grants = AccessPropertyTests.actions.filter { _ in Bool.random(using: &rng) }
            next.groups[k].roles = w.roles.filter { _ in Bool.random(using: &rng) }
        default:
            var rule = other.rules[0]
            rule.id = "added"
            rule.unless = nil
            rule.when = AccessPropertyTests.expression(w, &rng, depth: 0)
            if rule.effect == "granted" && w.groups.isEmpty { rule.effect = "allow" }
            next.rules.append(rule)
        }
        return next
    }

    @Test("random changes of rules, groups and users", arguments: 0..<6)
    func randomChanges(batch: Int) throws {
        var rng = AccessPropertyTests.RNG(state: 0xA11C_E55 &+ UInt64(batch) &* 7_919)
        var compared = 0
        for _ in 0..<200 {
            var w = AccessPropertyTests.world(&rng)
            // A customer may name a user, department or role twice in its shares
            // (`share --users bob,bob`), or a follower twice: the index lists then hold it twice.
            for k in w.customers.indices where k % 3 == 0 {
                w.customers[k].followers += w.customers[k].followers.prefix(1)
                w.customers[k].sharedUsers += w.customers[k].sharedUsers.prefix(1)
                w.customers[k].sharedDepartments += w.customers[k].sharedDepartments.prefix(1)
                w.customers[k].sharedRoles += w.customers[k].sharedRoles.prefix(1)
            }
            let w2 = Self.changed(w, &rng)
            let (c1, d1, _) = Pipeline.compile(ConfigLoader().load(sources: AccessPropertyTests.yaml(w)))
            let (c2, d2, _) = Pipeline.compile(ConfigLoader().load(sources: AccessPropertyTests.yaml(w2)))
            let old = try #require(c1, "\(d1)")
            let new = try #require(c2, "\(d2)")
            let oldTable = AccessPropertyTests.table(w, old.access)
            let newTable =
                new.access.makeCustomerTable().layoutKey == oldTable.layoutKey
                ? oldTable : AccessPropertyTests.table(w, new.access)
            let diff = ConfigDiff(old: old.model, new: new.model)
            let impact = AccessImpactCalculator(
                old: old.access, new: new.access, oldModel: old.model, newModel: new.model,
                oldTable: oldTable, newTable: newTable, now: Timestamp.processStart
            ).compute(diff: diff)
            // Every user and customer, decided under both policies, the new one on a table
            // loaded under it (the calculator may be given the applied table, as a plan is).
            let truthTable = AccessPropertyTests.table(w, new.access)
            var expected: [String: [Int]] = [:]
            var lostView = Set<Int>()
            for (u, user) in w.users.enumerated() {
                var counts = [0, 0, 0, 0]
                for (k, action) in [Action.view, .edit].enumerated() {
                    for c in 0..<oldTable.count {
                        let before = old.access.isAllowed(user: u, action: action, customer: c, in: oldTable)
                        let after = new.access.isAllowed(user: u, action: action, customer: c, in: truthTable)
                        if after && !before { counts[k * 2] += 1 }
                        if before && !after {
                            counts[k * 2 + 1] += 1
                            if action == .view { lostView.insert(c) }
                        }
                    }
                }
                if counts != [0, 0, 0, 0] { expected[user.id] = counts }
            }
            let found = Dictionary(
                uniqueKeysWithValues: impact.users.map {
                    ($0.user, [$0.view.gained, $0.view.lost, $0.edit.gained, $0.edit.lost])
                })
            #expect(
                found == expected,
                "\(diff.changes.map { "\($0.kind) \($0.entity) \($0.id)" })\n\(AccessPropertyTests.yaml(w2)[1].text)")
            func admins(_ policy: AccessPolicy, _ table: CustomerTable) -> [Int] {
                (0..<w.users.count).filter { u in
                    (0..<table.count).allSatisfy { policy.isAllowed(user: u, action: .view, customer: $0, in: table) }
                }
            }
            func seenByNonAdmin(_ policy: AccessPolicy, _ table: CustomerTable, _ c: Int) -> Bool {
                let a = admins(policy, table)
                return (0..<w.users.count).contains { u in
                    !a.contains(u) && policy.isAllowed(user: u, action: .view, customer: c, in: table)
                }
            }
            // Someone other than an admin could view it before, and only admins can now.
            let orphans = lostView.filter { c in
                seenByNonAdmin(old.access, oldTable, c) && !seenByNonAdmin(new.access, truthTable, c)
            }
            #expect(
                impact.orphaned == orphans.count,
                "orphans: \(impact.orphanedSample) vs \(orphans.sorted().map { oldTable.ids[$0] })")
            compared += 1
        }
        #expect(compared == 200)
    }
}
