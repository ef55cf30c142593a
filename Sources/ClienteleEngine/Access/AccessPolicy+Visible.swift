import ClienteleCore
import ClienteleSpec
import ClienteleModel
extension AccessPolicy {
    /// Candidate lists gathered from the index: an exact list holds only customers
    /// its rule allows (before deny rules); an inexact one needs a decision each.
    struct Candidates {
        var exact: [ArraySlice<Int32>] = []
        var inexact: [ArraySlice<Int32>] = []
        var everyExact = false
        var everyInexact = false
    }

    /// Every customer `user` may take `action` on, in table order. Candidates come
    /// from the index; those an exact plan yields need only the deny rules checked,
    /// the rest a full decision; so the result always equals deciding on every customer.
    public func visible(user: Int, action: Action, in customers: CustomerTable, index: CustomerIndex, now: Double = Timestamp.processStart) -> [Int] {
        guard environment.org.userActive[user] else { return [] }
        var candidates = Candidates()
        for k in allowRules[action.ordinal] {
            let r = rules[k]
            collect(r.plan, exact: r.unless == nil && (!r.granted || r.onlyGroups), granted: r.granted, action: action, user: user,
                    customers: customers, index: index, into: &candidates)
            if candidates.everyInexact { break }
        }
        let n = customers.count
        let denies = !denyRules[action.ordinal].isEmpty
        if candidates.everyInexact {
            return (0..<n).filter { isAllowed(user: user, action: action, customer: $0, in: customers, now: now) }
        }
        if candidates.everyExact {
            return denies ? (0..<n).filter { !isDenied(user: user, action: action, customer: $0, in: customers, now: now) } : Array(0..<n)
        }
        var accepted = [UInt64](repeating: 0, count: (n + 63) / 64)
        var checked = denies || !candidates.inexact.isEmpty ? [UInt64](repeating: 0, count: (n + 63) / 64) : []
        for list in candidates.exact {
            if !denies {
                for c in list { accepted[Int(c) >> 6] |= 1 << UInt64(c & 63) }
                continue
            }
            for c32 in list {
                let c = Int(c32), bit: UInt64 = 1 << UInt64(c & 63)
                if checked[c >> 6] & bit != 0 { continue }
                checked[c >> 6] |= bit
                if !isDenied(user: user, action: action, customer: c, in: customers, now: now) { accepted[c >> 6] |= bit }
            }
        }
        for list in candidates.inexact {
            for c32 in list {
                let c = Int(c32), bit: UInt64 = 1 << UInt64(c & 63)
                if (accepted[c >> 6] | checked[c >> 6]) & bit != 0 { continue }
                checked[c >> 6] |= bit
                if isAllowed(user: user, action: action, customer: c, in: customers, now: now) { accepted[c >> 6] |= bit }
            }
        }
        var result: [Int] = []
        for (w, word) in accepted.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                result.append(w << 6 | bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return result
    }

    /// `granted`: the rule allows what groups grant, so only groups granting `action` count.
    func collect(_ plan: CandidatePlan, exact: Bool, granted: Bool, action: Action, user: Int, customers: CustomerTable,
                         index: CustomerIndex, into c: inout Candidates) {
        let org = environment.org
        func add(_ list: ArraySlice<Int32>, _ isExact: Bool) {
            if isExact { c.exact.append(list) } else { c.inexact.append(list) }
        }
        switch plan {
        case .all: c.everyInexact = true
        case .every: if exact { c.everyExact = true } else { c.everyInexact = true }
        case .none: break
        case .gate(let condition, let rest):
            // A condition on the user alone: any customer will do to evaluate it.
            guard customers.count > 0 else { return }
            if condition(AccessContext(user: user, customer: 0, customers: customers, now: 0)) {
                collect(rest, exact: exact, granted: granted, action: action, user: user, customers: customers, index: index, into: &c)
            }
        case .accountExecutive: add(index.byAccountExecutive.list(user), exact)
        case .serviceRep: add(index.byServiceRep.list(user), exact)
        case .follower: add(index.byFollower.list(user), exact)
        case .shared:
            add(index.bySharedUser.list(user), exact)
            for d in org.userDepartments[user] { add(index.bySharedDepartment.list(Int(d)), exact) }
            for r in org.userRoleList[user] { add(index.bySharedRole.list(Int(r)), exact) }
        case .inPool:
            for p in 0..<org.poolIds.count { add(index.byPool.list(p), exact) }
        case .userTeams:
            for t in 0..<org.teamIds.count where org.userTeams[user].contains(t) { add(index.byTeam.list(t), exact) }
        case .manages(let depth):
            for s in org.subordinates(of: user, depth: depth) { add(index.byAccountExecutive.list(Int(s)), exact) }
        case .groups:
            for g in granted ? groupsGranting[action.ordinal] : environment.groups where g.isMember(user, org) {
                let filtered = g.packages != nil || g.where_ != nil
                if let departments = g.departmentList {
                    for d in departments { add(index.byAccountExecutiveDepartment.list(Int(d)), exact && !filtered && g.team < 0) }
                } else if g.team >= 0 {
                    add(index.byTeam.list(Int(g.team)), exact && !filtered)
                } else if exact && !filtered {
                    c.everyExact = true
                } else {
                    c.everyInexact = true
                }
            }
        case .union(let plans):
            for p in plans { collect(p, exact: exact, granted: granted, action: action, user: user, customers: customers, index: index, into: &c) }
        case .either(let a, let b):
            var left = Candidates(), right = Candidates()
            collect(a, exact: false, granted: granted, action: action, user: user, customers: customers, index: index, into: &left)
            collect(b, exact: false, granted: granted, action: action, user: user, customers: customers, index: index, into: &right)
            let leftAll = left.everyExact || left.everyInexact, rightAll = right.everyExact || right.everyInexact
            switch (leftAll, rightAll) {
            case (true, true): c.everyInexact = true
            case (true, false): c.inexact.append(contentsOf: right.inexact)
            case (false, true): c.inexact.append(contentsOf: left.inexact)
            case (false, false):
                let l = left.inexact.reduce(0) { $0 + $1.count }, r = right.inexact.reduce(0) { $0 + $1.count }
                c.inexact.append(contentsOf: l <= r ? left.inexact : right.inexact)
            }
        }
    }
}
