import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation
import Synchronization

/// Who gains and who loses access to which customers when a new policy replaces the applied one.
package struct AccessImpact: Sendable {
    /// Customers gained and lost for one action, with the first ids of each.
    package struct Delta: Sendable, Equatable {
        package var gained = 0
        package var lost = 0
        package var gainedSample: [String] = []
        package var lostSample: [String] = []
        package var isEmpty: Bool { gained == 0 && lost == 0 }
    }

    package struct UserImpact: Sendable {
        package var user: String
        package var view: Delta
        package var edit: Delta
    }

    /// Users whose access changes, in the order of the new config (removed users last).
    package var users: [UserImpact] = []
    /// Customers someone other than an admin could view before and only admins can now.
    package var orphaned = 0
    package var orphanedSample: [String] = []
    /// How many users were compared (only those a change can touch).
    package var usersCompared = 0

    static let sampleSize = 5
}

/// Compares two compiled policies over the stored customers, user by user, with the
/// candidate indexes (`AccessPolicy.visible`), never user x customer decisions.
struct AccessImpactCalculator {
    let old: AccessPolicy
    let new: AccessPolicy
    let oldModel: Model
    let newModel: Model
    let oldTable: CustomerTable
    let newTable: CustomerTable
    let now: Double

    /// Changes of these can change what a user may view or edit.
    static let entities: Set<String> = [
        "rule", "team", "department", "role", "user", "pool", "package", "permission group",
    ]

    /// Users a change could touch: everyone when rules, the organisation, packages
    /// or pools change; otherwise the members of the permission groups that changed.
    func usersToCompare(diff: ConfigDiff) -> Set<String>? {
        if diff.changes.contains(where: { Self.entities.contains($0.entity) && $0.entity != "permission group" }) {
            return nil
        }
        if Self.changesFieldsRead(diff, old: old, new: new) { return nil }
        return groupMembers(diff: diff)
    }

    /// Whether a field the rules read (as applied or as new) is added, removed, renamed or
    /// redefined: a rule's text may stay the same while what it reads moves (a `was:`
    /// rename leaves `customer.level` reading nothing), so every user is compared.
    static func changesFieldsRead(_ diff: ConfigDiff, old: AccessPolicy, new: AccessPolicy) -> Bool {
        let read = Set(old.fieldIdentities).union(new.fieldIdentities)
        var touched = Set<String>()
        func text(_ f: Field) -> [String] { ConfigDiff.describe(f).map { "\($0.0)=\($0.1)" } }
        for field in diff.addedFields + diff.removedFields { touched.formUnion(field.identities) }
        touched.formUnion(diff.changedStandardIdentities)
        for match in diff.matchedFields where match.renamed || text(match.old) != text(match.new) {
            touched.formUnion(match.old.identities)
            touched.formUnion(match.new.identities)
        }
        return !read.isDisjoint(with: touched)
    }

    /// The members, as applied and as new, of the permission groups that changed.
    func groupMembers(diff: ConfigDiff) -> Set<String> {
        let changed = Set(diff.changes.filter { $0.entity == "permission group" }.map(\.id))
        var users = Set<String>()
        for model in [oldModel, newModel] {
            for g in model.permissionGroups where changed.contains(g.id) {
                users.formUnion(g.users)
                let roles = Set(g.roles)
                for u in model.organization.users where !roles.isDisjoint(with: u.roles) { users.insert(u.id) }
            }
        }
        return users
    }

    func compute(diff: ConfigDiff) -> AccessImpact {
        var impact = AccessImpact()
        let limit = usersToCompare(diff: diff)
        let names =
            (newModel.organization.users.map(\.id)
            + oldModel.organization.users.map(\.id).filter { new.org.user($0) == nil })
            .filter { limit?.contains($0) ?? true }
        impact.usersCompared = names.count
        guard !names.isEmpty else { return impact }
        let oldIndex = CustomerIndex(oldTable)
        // The applied table read under the new organisation: the same rows, but an owner may be in another department.
        let newIndex =
            oldTable === newTable && old.org.userDepartment == new.org.userDepartment
            ? oldIndex : CustomerIndex(newTable, org: new.org)
        // Rows of the new table -> rows of the old one, when they were loaded apart.
        let toOld: [Int]? =
            oldTable === newTable ? nil : (0..<newTable.count).map { oldTable.index(of: newTable.ids[$0]) ?? -1 }
        let results = Mutex([AccessImpact.UserImpact?](repeating: nil, count: names.count))
        // Old rows someone lost sight of.
        let lostViews = Mutex(BitSet(capacity: oldTable.count))
        // When only rules changed, a user's decision on a customer can change only
        // where a changed rule (as applied, or as new) could match: those are decided.
        // (Members of changed permission groups are compared whole.)
        let changedRules: Set<String>? =
            oldTable === newTable && old.org.userIds == new.org.userIds
                && !Self.changesFieldsRead(diff, old: old, new: new)
                && diff.changes.allSatisfy({
                    !Self.entities.contains($0.entity) || $0.entity == "rule" || $0.entity == "permission group"
                })
            ? Set(diff.changes.filter { $0.entity == "rule" }.map(\.id)) : nil
        let wholeUsers = changedRules == nil ? [] : groupMembers(diff: diff)
        // When every user's lists are compared, the customers someone other than an admin
        // (a user who may view them all) can view under the new policy, as bits of old rows.
        let everyone = limit == nil && changedRules == nil
        let seen = Mutex(BitSet(capacity: everyone ? oldTable.count : 0))
        DispatchQueue.concurrentPerform(iterations: names.count) { k in
            let name = names[k]
            func rows(
                _ policy: AccessPolicy, _ table: CustomerTable, _ index: CustomerIndex, _ action: Action, mapped: Bool
            ) -> [Int] {
                guard let u = policy.org.user(name) else { return [] }
                let found = policy.visible(user: u, action: action, in: table, index: index, now: now)
                guard mapped, let toOld else { return found }
                return found.map { toOld[$0] }.filter { $0 >= 0 }.sorted()
            }
            var deltas: [AccessImpact.Delta] = []
            func record(_ gained: [Int], _ lost: [Int], _ action: Action) {
                if action == .view, !lost.isEmpty { lostViews.withLock { $0.formUnion(lost) } }
                deltas.append(
                    AccessImpact.Delta(
                        gained: gained.count, lost: lost.count,
                        gainedSample: gained.prefix(AccessImpact.sampleSize).map { oldTable.ids[$0] },
                        lostSample: lost.prefix(AccessImpact.sampleSize).map { oldTable.ids[$0] }))
            }
            for action in [Action.view, .edit] {
                if let changedRules, !wholeUsers.contains(name), let u = new.org.user(name),
                    let (gained, lost) = decideWithin(changedRules, user: u, action: action, index: oldIndex)
                {
                    record(gained, lost, action)
                    continue
                }
                if toOld == nil {
                    // One table: the two lists compared as sets of its rows.
                    let before =
                        old.org.user(name).map {
                            old.visibleSet(user: $0, action: action, in: oldTable, index: oldIndex, now: now)
                        }
                        ?? BitSet(capacity: oldTable.count)
                    let after =
                        new.org.user(name).map {
                            new.visibleSet(user: $0, action: action, in: newTable, index: newIndex, now: now)
                        }
                        ?? BitSet(capacity: newTable.count)
                    if everyone && action == .view && after.count < newTable.count {
                        seen.withLock { $0.formUnion(after) }
                    }
                    record(after.subtracting(before).members, before.subtracting(after).members, action)
                    continue
                }
                let before = rows(old, oldTable, oldIndex, action, mapped: false)
                let after = rows(new, newTable, newIndex, action, mapped: true)
                if everyone && action == .view && after.count < newTable.count { seen.withLock { $0.formUnion(after) } }
                let (gained, lost) = SortedRows.difference(after, before)
                record(gained, lost, action)
            }
            if !deltas[0].isEmpty || !deltas[1].isEmpty {
                results.withLock { $0[k] = AccessImpact.UserImpact(user: name, view: deltas[0], edit: deltas[1]) }
            }
        }
        impact.users = results.withLock { $0.compactMap { $0 } }
        let candidates = lostViews.withLock { $0.members }
        let orphans = orphanedCustomers(
            candidates, seen: everyone ? seen.withLock { $0 } : nil, newIndex: newIndex, oldIndex: oldIndex,
            toOld: toOld)
        impact.orphaned = orphans.count
        impact.orphanedSample = orphans.prefix(AccessImpact.sampleSize).map { oldTable.ids[$0] }
        return impact
    }

    /// Gained and lost rows of one user and action, deciding only the customers the
    /// changed rules reach under either policy (one table, one organisation); nil
    /// when they reach every customer.
    private func decideWithin(_ ruleIds: Set<String>, user u: Int, action: Action, index: CustomerIndex) -> (
        [Int], [Int]
    )? {
        guard let before = old.reach(ofRules: ruleIds, user: u, action: action, in: oldTable, index: index, now: now),
            let after = new.reach(ofRules: ruleIds, user: u, action: action, in: newTable, index: index, now: now)
        else { return nil }
        return AccessPolicy.changes(
            old: old, new: new, user: u, action: action, before: before, after: after,
            in: oldTable, index: index, now: now)
    }

    /// Of the rows in `candidates`, those `keep` says yes to, decided on every core.
    static func filter(_ candidates: [Int], _ keep: @Sendable (Int) -> Bool) -> [Int] {
        let workers = 8
        let found = Mutex([Int]())
        DispatchQueue.concurrentPerform(iterations: min(candidates.count, workers)) { w in
            var mine: [Int] = []
            var k = w
            while k < candidates.count {
                if keep(candidates[k]) { mine.append(candidates[k]) }
                k += workers
            }
            found.withLock { $0 += mine }
        }
        return found.withLock { $0 }.sorted()
    }

    /// Of the customers someone lost sight of (old rows) that remain, those only admins can view
    /// under the new policy (found from the lists when every user's were listed) and
    /// someone other than an admin could view under the applied one.
    private func orphanedCustomers(
        _ candidates: [Int], seen: BitSet?, newIndex: CustomerIndex, oldIndex: CustomerIndex, toOld: [Int]?
    ) -> [Int] {
        guard !candidates.isEmpty else { return [] }
        var newRow: [Int: Int] = [:]
        if let toOld { for (n, o) in toOld.enumerated() where o >= 0 { newRow[o] = n } }
        let mapping = newRow
        let now = NonAdminViewers(new, newTable, newIndex, time: self.now)
        let before = NonAdminViewers(old, oldTable, oldIndex, time: self.now)
        let unseen: [Int]
        if let seen {
            // A row the new table lacks (removed with its package or team) is nobody's now: not only admins'.
            unseen = candidates.filter { !seen.contains($0) && (toOld == nil || mapping[$0] != nil) }
        } else {
            unseen = Self.filter(candidates) { oldRow in
                guard let c = toOld == nil ? oldRow : mapping[oldRow] else { return false }
                return !now.canSee(c)
            }
        }
        return Self.filter(unseen) { before.canSee($0) }
    }
}

/// Whether someone other than an admin (a user who may view every customer) may
/// view a customer under one policy: the account executive and the service rep are
/// asked first, then only the users some allow rule could let through.
final class NonAdminViewers: @unchecked Sendable {
    let policy: AccessPolicy
    let table: CustomerTable
    let index: CustomerIndex
    let now: Double
    let users: AccessPolicy.UserLists
    private let admins = Mutex([Int: Bool]())

    init(_ policy: AccessPolicy, _ table: CustomerTable, _ index: CustomerIndex, time: Double) {
        self.policy = policy
        self.table = table
        self.index = index
        now = time
        users = AccessPolicy.UserLists(policy, customers: table, now: time)
    }

    func isAdmin(_ u: Int) -> Bool {
        if let known = admins.withLock({ $0[u] }) { return known }
        let all = policy.allowsEvery(user: u, action: .view, in: table, index: index, now: now)
        admins.withLock { $0[u] = all }
        return all
    }

    func canSee(_ c: Int) -> Bool {
        func sees(_ u: Int) -> Bool {
            policy.isAllowed(user: u, action: .view, customer: c, in: table, now: now) && !isAdmin(u)
        }
        let ae = Int(table.accountExecutive[c])
        let rep = Int(table.serviceRep[c])
        if ae >= 0 && sees(ae) || rep >= 0 && sees(rep) { return true }
        let others =
            policy.potentialUsers(.view, customer: c, in: table, users: users) ?? Array(0..<policy.org.userIds.count)
        return others.contains { $0 != ae && $0 != rep && sees($0) }
    }
}
