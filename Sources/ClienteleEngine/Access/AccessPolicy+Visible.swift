import ClienteleCore
import ClienteleModel
import ClienteleSpec

extension AccessPolicy {
    /// Candidate lists gathered from the index: an exact list holds only customers
    /// its rule allows (before deny rules); an inexact one needs a decision each.
    struct Candidates {
        var exact: [ArraySlice<Int32>] = []
        var inexact: [ArraySlice<Int32>] = []
        var everyExact = false
        var everyInexact = false
    }

    /// The candidate lists of the allow rules for `user` and `action`; with
    /// `exact: false`, every list is one a decision must confirm.
    func candidates(
        user: Int, action: Action, in customers: CustomerTable, index: CustomerIndex, now: Double, exact: Bool = true
    ) -> Candidates {
        var found = Candidates()
        for k in allowRules[action.ordinal] {
            let r = rules[k]
            collect(
                r.plan, exact: exact && r.unless == nil && (!r.granted || r.onlyGroups), granted: r.granted,
                action: action, user: user,
                customers: customers, index: index, now: now, into: &found)
            if found.everyInexact { break }
        }
        return found
    }

    /// The deny rules of one user and action, decided only on the rows their `when`
    /// can match through the index (`unless` ignored): a row outside is not denied.
    struct DenyCheck {
        let policy: AccessPolicy
        let user: Int
        let action: Action
        let customers: CustomerTable
        let now: Double
        /// Whether any deny rule applies to the action.
        let any: Bool
        /// The rows a deny rule could match; nil when any row could.
        let reach: BitSet?

        init(
            _ policy: AccessPolicy, user: Int, action: Action, customers: CustomerTable, index: CustomerIndex,
            now: Double
        ) {
            self.policy = policy
            self.user = user
            self.action = action
            self.customers = customers
            self.now = now
            any = !policy.denyRules[action.ordinal].isEmpty
            guard any else {
                reach = BitSet(capacity: 0)
                return
            }
            var found = Candidates()
            for k in policy.denyRules[action.ordinal] {
                let r = policy.rules[k]
                policy.collect(
                    r.reach, exact: false, granted: r.granted, action: action, user: user, customers: customers,
                    index: index, now: now,
                    into: &found)
                if found.everyInexact || found.everyExact { break }
            }
            if found.everyInexact || found.everyExact {
                reach = nil
            } else {
                var rows = BitSet(capacity: customers.count)
                for list in found.inexact { rows.formUnion(list) }
                reach = rows
            }
        }

        @inline(__always) func denied(_ c: Int) -> Bool {
            any && (reach?.contains(c) ?? true)
                && policy.isDenied(user: user, action: action, customer: c, in: customers, now: now)
        }
    }

    /// Every customer `user` may take `action` on, in table order. Candidates come
    /// from the index; those an exact plan yields need only the deny rules checked
    /// (and only where a deny rule's own index lists could match), the rest a full
    /// decision; so the result always equals deciding on every customer.
    package func visible(
        user: Int, action: Action, in customers: CustomerTable, index: CustomerIndex,
        now: Double = Timestamp.processStart
    ) -> [Int] {
        let rows = visibleSet(user: user, action: action, in: customers, index: index, now: now)
        return rows.count == customers.count ? Array(0..<customers.count) : rows.members
    }

    /// `visible` as a set of rows (for comparing two policies' lists).
    package func visibleSet(
        user: Int, action: Action, in customers: CustomerTable, index: CustomerIndex,
        now: Double = Timestamp.processStart
    ) -> BitSet {
        let n = customers.count
        var accepted = BitSet(capacity: n)
        guard environment.org.userActive[user] else { return accepted }
        let candidates = candidates(user: user, action: action, in: customers, index: index, now: now)
        if candidates.everyInexact {
            for c in 0..<n where isAllowed(user: user, action: action, customer: c, in: customers, now: now) {
                accepted.insert(c)
            }
            return accepted
        }
        let deny = DenyCheck(self, user: user, action: action, customers: customers, index: index, now: now)
        let denies = deny.any
        if candidates.everyExact {
            guard deny.any else { return BitSet(all: n) }
            for c in 0..<n where !deny.denied(c) { accepted.insert(c) }
            return accepted
        }
        var refused = BitSet(capacity: denies || !candidates.inexact.isEmpty ? n : 0)
        for list in candidates.exact {
            if !denies {
                accepted.formUnion(list)
                continue
            }
            for c32 in list {
                let c = Int(c32)
                if accepted.contains(c) || refused.contains(c) { continue }
                if deny.denied(c) { refused.insert(c) } else { accepted.insert(c) }
            }
        }
        for list in candidates.inexact {
            for c32 in list {
                let c = Int(c32)
                if accepted.contains(c) || refused.contains(c) { continue }
                if isAllowed(user: user, action: action, customer: c, in: customers, now: now) {
                    accepted.insert(c)
                } else {
                    refused.insert(c)
                }
            }
        }
        return accepted
    }

    /// Whether `user` may take `action` on every customer of the table. Answered from
    /// the index lists alone when they hold fewer entries than there are customers;
    /// else by listing what is visible.
    package func allowsEvery(user: Int, action: Action, in customers: CustomerTable, index: CustomerIndex, now: Double)
        -> Bool
    {
        guard environment.org.userActive[user] else { return customers.count == 0 }
        let candidates = candidates(user: user, action: action, in: customers, index: index, now: now, exact: false)
        if !candidates.everyInexact && candidates.inexact.reduce(0, { $0 + $1.count }) < customers.count {
            return false
        }
        return visibleSet(user: user, action: action, in: customers, index: index, now: now).count == customers.count
    }

    /// The rows of `rows` (sorted, without repeats) that `user` may take `action` on:
    /// `visible` restricted to those rows. The index lists still say which rules could
    /// allow each row, so a row an exact list holds needs only the deny rules, a row
    /// no list holds is refused without a decision, and only the rows of inexact lists
    /// are decided in full. Equal to filtering `rows` with `isAllowed`.
    package func visible(
        user: Int, action: Action, within rows: [Int], in customers: CustomerTable, index: CustomerIndex,
        now: Double
    ) -> [Int] {
        guard environment.org.userActive[user], !rows.isEmpty else { return [] }
        let candidates = candidates(user: user, action: action, in: customers, index: index, now: now)
        if candidates.everyInexact {
            return rows.filter { isAllowed(user: user, action: action, customer: $0, in: customers, now: now) }
        }
        let deny = DenyCheck(self, user: user, action: action, customers: customers, index: index, now: now)
        if candidates.everyExact { return deny.any ? rows.filter { !deny.denied($0) } : rows }
        var exact = BitSet(capacity: customers.count)
        var inexact = BitSet(capacity: candidates.inexact.isEmpty ? 0 : customers.count)
        for list in candidates.exact { Self.mark(list, among: rows, &exact) }
        for list in candidates.inexact { Self.mark(list, among: rows, &inexact) }
        return rows.filter { c in
            if exact.contains(c) { return !deny.denied(c) }
            return inexact.contains(c) && isAllowed(user: user, action: action, customer: c, in: customers, now: now)
        }
    }

    /// Inserts the rows `list` holds (sorted ascending) where `rows` may hold them
    /// too: every row of the list, or, when the list is far longer than `rows`, only
    /// the rows of `rows` a binary search finds in it.
    static func mark(_ list: ArraySlice<Int32>, among rows: [Int], _ set: inout BitSet) {
        guard rows.count * 16 < list.count else {
            set.formUnion(list)
            return
        }
        for c in rows {
            var low = list.startIndex
            var high = list.endIndex
            while low < high {
                let mid = low + (high - low) / 2
                if Int(list[mid]) < c { low = mid + 1 } else { high = mid }
            }
            if low < list.endIndex && Int(list[low]) == c { set.insert(c) }
        }
    }

    /// `granted`: the rule allows what groups grant, so only groups granting `action` count.
    func collect(
        _ plan: CandidatePlan, exact: Bool, granted: Bool, action: Action, user: Int, customers: CustomerTable,
        index: CustomerIndex, now: Double, into c: inout Candidates
    ) {
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
            if condition(AccessContext(user: user, customer: 0, customers: customers, now: now)) {
                collect(
                    rest, exact: exact, granted: granted, action: action, user: user, customers: customers,
                    index: index, now: now, into: &c)
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
                let filtered = g.packages != nil || g.customerFilter != nil
                if let departments = g.departmentList {
                    for d in departments {
                        add(index.byAccountExecutiveDepartment.list(Int(d)), exact && !filtered && g.team < 0)
                    }
                } else if g.team >= 0 {
                    add(index.byTeam.list(Int(g.team)), exact && !filtered)
                } else if exact && !filtered {
                    c.everyExact = true
                } else {
                    c.everyInexact = true
                }
            }
        case .union(let plans):
            for p in plans {
                collect(
                    p, exact: exact, granted: granted, action: action, user: user, customers: customers, index: index,
                    now: now, into: &c)
            }
        case .either(let a, let b):
            var left = Candidates()
            var right = Candidates()
            collect(
                a, exact: false, granted: granted, action: action, user: user, customers: customers, index: index,
                now: now, into: &left)
            collect(
                b, exact: false, granted: granted, action: action, user: user, customers: customers, index: index,
                now: now, into: &right)
            let leftAll = left.everyExact || left.everyInexact
            let rightAll = right.everyExact || right.everyInexact
            switch (leftAll, rightAll) {
            case (true, true): c.everyInexact = true
            case (true, false): c.inexact.append(contentsOf: right.inexact)
            case (false, true): c.inexact.append(contentsOf: left.inexact)
            case (false, false):
                let l = left.inexact.reduce(0) { $0 + $1.count }
                let r = right.inexact.reduce(0) { $0 + $1.count }
                c.inexact.append(contentsOf: l <= r ? left.inexact : right.inexact)
            }
        }
    }
}
