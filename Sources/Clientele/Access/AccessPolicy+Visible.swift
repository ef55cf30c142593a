extension AccessPolicy {
    /// Every customer `user` may take `action` on, in table order: candidates come
    /// from the index, and each candidate is then decided in full, so the result
    /// always equals deciding on every customer.
    public func visible(user: Int, action: Action, in customers: CustomerTable, index: CustomerIndex, now: Double = 0) -> [Int] {
        guard environment.org.userActive[user], let allows = allowRules[action] else { return [] }
        var lists: [ArraySlice<Int32>] = []
        var everything = false
        for k in allows {
            if !collect(rules[k].plan, user: user, customers: customers, index: index, into: &lists) {
                everything = true
                break
            }
        }
        var result: [Int] = []
        if everything {
            for c in 0..<customers.count where isAllowed(user: user, action: action, customer: c, in: customers, now: now) { result.append(c) }
            return result
        }
        var seen = [UInt64](repeating: 0, count: (customers.count + 63) / 64)
        for list in lists {
            for c32 in list {
                let c = Int(c32)
                let bit: UInt64 = 1 << UInt64(c & 63)
                if seen[c >> 6] & bit != 0 { continue }
                seen[c >> 6] |= bit
                if isAllowed(user: user, action: action, customer: c, in: customers, now: now) { result.append(c) }
            }
        }
        return result.sorted()
    }

    /// Adds the candidate lists of `plan`; false when the plan needs every customer.
    private func collect(_ plan: CandidatePlan, user: Int, customers: CustomerTable, index: CustomerIndex, into lists: inout [ArraySlice<Int32>]) -> Bool {
        let org = environment.org
        switch plan {
        case .all: return false
        case .none: return true
        case .gate(let condition, let rest):
            // A user-only condition: any customer will do to evaluate it.
            guard customers.count > 0 else { return true }
            let ctx = AccessContext(user: user, customer: 0, customers: customers, now: 0)
            return condition(ctx) ? collect(rest, user: user, customers: customers, index: index, into: &lists) : true
        case .accountExecutive: lists.append(index.byAccountExecutive.list(user))
        case .serviceRep: lists.append(index.byServiceRep.list(user))
        case .follower: lists.append(index.byFollower.list(user))
        case .shared:
            lists.append(index.bySharedUser.list(user))
            for d in org.userDepartments[user] { lists.append(index.bySharedDepartment.list(Int(d))) }
            for r in org.userRoleList[user] { lists.append(index.bySharedRole.list(Int(r))) }
        case .inPool:
            for p in 0..<org.poolIds.count { lists.append(index.byPool.list(p)) }
        case .userTeams:
            for t in 0..<org.teamIds.count where org.userTeams[user].contains(t) { lists.append(index.byTeam.list(t)) }
        case .manages(let depth):
            for s in org.subordinates(of: user, depth: depth) { lists.append(index.byAccountExecutive.list(Int(s))) }
        case .groups:
            for g in environment.groups where g.isMember(user, org) {
                if let departments = g.departmentList {
                    for d in departments { lists.append(index.byAccountExecutiveDepartment.list(Int(d))) }
                } else if g.team >= 0 {
                    lists.append(index.byTeam.list(Int(g.team)))
                } else {
                    return false
                }
            }
        case .union(let plans):
            for p in plans where !collect(p, user: user, customers: customers, index: index, into: &lists) { return false }
        case .either(let a, let b):
            var left: [ArraySlice<Int32>] = [], right: [ArraySlice<Int32>] = []
            let leftOK = collect(a, user: user, customers: customers, index: index, into: &left)
            let rightOK = collect(b, user: user, customers: customers, index: index, into: &right)
            switch (leftOK, rightOK) {
            case (false, false): return false
            case (true, false): lists.append(contentsOf: left)
            case (false, true): lists.append(contentsOf: right)
            case (true, true):
                lists.append(contentsOf: left.reduce(0) { $0 + $1.count } <= right.reduce(0) { $0 + $1.count } ? left : right)
            }
        }
        return true
    }
}
