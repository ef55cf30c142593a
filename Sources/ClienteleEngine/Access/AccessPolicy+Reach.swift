import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Reach in both directions, for comparing two policies without deciding on
/// every user and customer: which customers some rules could match for a user,
/// and which users the allow rules could allow on a customer.
extension AccessPolicy {
    /// Rows any of the rules named could match for `user` and `action` (allow or
    /// deny, `unless` ignored), sorted; nil when any customer could.
    package func reach(
        ofRules ids: Set<String>, user: Int, action: Action, in customers: CustomerTable, index: CustomerIndex,
        now: Double
    ) -> [Int]? {
        var found = Candidates()
        for k in allowRules[action.ordinal] + denyRules[action.ordinal] where ids.contains(rules[k].rule.id) {
            let r = rules[k]
            collect(
                r.reach, exact: false, granted: r.granted, action: action, user: user, customers: customers,
                index: index, now: now, into: &found)
            if found.everyExact || found.everyInexact { return nil }
        }
        // A list may hold a row twice (a customer shared twice with one user): the set removes repeats.
        var seen = BitSet(capacity: customers.count)
        var rows: [Int] = []
        for list in found.exact + found.inexact {
            for c32 in list where !seen.contains(Int(c32)) {
                seen.insert(Int(c32))
                rows.append(Int(c32))
            }
        }
        return rows.sorted()
    }

    /// Users an allow rule for `action` could allow on `customer` (deny rules not
    /// applied: each still needs a decision); nil when any user could.
    package func potentialUsers(_ action: Action, customer c: Int, in customers: CustomerTable, users: UserLists)
        -> [Int]?
    {
        var result: [Int] = []
        for k in allowRules[action.ordinal] {
            let r = rules[k]
            guard
                let found = users.gated[k]
                    ?? inverse(r.plan, granted: r.granted, action: action, customer: c, in: customers, users: users)
            else { return nil }
            result += found
        }
        result.sort()
        var unique: [Int] = []
        unique.reserveCapacity(result.count)
        for u in result where unique.last != u { unique.append(u) }
        return unique
    }

    /// Users of the organisation by department (with the departments above theirs),
    /// role and team, and the members of each group; and, per rule, the users a
    /// condition on the user alone lets through.
    package final class UserLists: @unchecked Sendable {
        let byDepartment: [[Int]]
        let byRole: [[Int]]
        let byTeam: [[Int]]
        let groupMembers: [String: [Int]]
        /// Rule index -> users, for rules whose plan is a gate on the user before any customer.
        var gated: [Int: [Int]] = [:]
        /// The time gates on the user are decided at.
        let now: Double

        package init(_ policy: AccessPolicy, customers: CustomerTable, now: Double) {
            self.now = now
            let org = policy.environment.org
            var departments = [[Int]](repeating: [], count: org.departmentIds.count)
            var roles = [[Int]](repeating: [], count: org.roleIds.count)
            var teams = [[Int]](repeating: [], count: org.teamIds.count)
            for u in 0..<org.userIds.count {
                for d in org.userDepartments[u] { departments[Int(d)].append(u) }
                for r in org.userRoleList[u] { roles[Int(r)].append(u) }
                for t in 0..<org.teamIds.count where org.userTeams[u].contains(t) { teams[t].append(u) }
            }
            byDepartment = departments
            byRole = roles
            byTeam = teams
            var members: [String: [Int]] = [:]
            for g in policy.environment.groups {
                members[g.id] = (0..<org.userIds.count).filter { g.isMember($0, org) }
            }
            groupMembers = members
            guard customers.count > 0 else { return }
            for (k, r) in policy.rules.enumerated() {
                guard case .gate(let condition, let rest) = r.plan else { continue }
                switch rest {
                case .all, .every:
                    gated[k] = (0..<org.userIds.count).filter {
                        condition(AccessContext(user: $0, customer: 0, customers: customers, now: now))
                    }
                default: continue
                }
            }
        }
    }

    /// The users `plan` could yield `customer` for; nil when any user could.
    private func inverse(
        _ plan: CandidatePlan, granted: Bool, action: Action, customer c: Int, in t: CustomerTable, users: UserLists
    ) -> [Int]? {
        let org = environment.org
        switch plan {
        case .all, .every, .inPool: return nil
        case .none: return []
        case .gate(let condition, let rest):
            let candidates =
                inverse(rest, granted: granted, action: action, customer: c, in: t, users: users)
                ?? Array(0..<org.userIds.count)
            return candidates.filter { condition(AccessContext(user: $0, customer: 0, customers: t, now: users.now)) }
        case .accountExecutive: return t.accountExecutive[c] >= 0 ? [Int(t.accountExecutive[c])] : []
        case .serviceRep: return t.serviceRep[c] >= 0 ? [Int(t.serviceRep[c])] : []
        case .follower: return t.followers.items(c).map(Int.init)
        case .shared:
            return t.sharedUsers.items(c).map(Int.init)
                + t.sharedDepartments.items(c).flatMap { users.byDepartment[Int($0)] }
                + t.sharedRoles.items(c).flatMap { users.byRole[Int($0)] }
        case .userTeams: return t.team[c] >= 0 ? users.byTeam[Int(t.team[c])] : []
        case .manages(let depth):
            let ae = Int(t.accountExecutive[c])
            guard ae >= 0 else { return [] }
            let chain = org.userManagerChain[ae].map(Int.init)
            return depth.map { Array(chain.prefix($0)) } ?? chain
        case .groups:
            // Only the groups whose team, departments and packages cover this customer
            // (a group's `where` may read the user, so such a group is kept).
            let groups = granted ? groupsGranting[action.ordinal] : environment.groups
            let context = AccessContext(user: 0, customer: c, customers: t, now: users.now)
            return groups.filter { $0.customerFilter != nil || $0.covers(context) }.flatMap {
                users.groupMembers[$0.id] ?? []
            }
        case .union(let plans):
            var all: [Int] = []
            for p in plans {
                guard let found = inverse(p, granted: granted, action: action, customer: c, in: t, users: users) else {
                    return nil
                }
                all += found
            }
            return all
        case .either(let a, let b):
            let left = inverse(a, granted: granted, action: action, customer: c, in: t, users: users)
            let right = inverse(b, granted: granted, action: action, customer: c, in: t, users: users)
            switch (left, right) {
            case (let l?, let r?): return l.count <= r.count ? l : r
            default: return left ?? right
            }
        }
    }
}
