import Foundation

/// What changed pool rules do: customers the new automatic return would send back
/// now (that the applied rules would not), per account executive, and members who
/// lose the right to claim.
public struct PoolImpact: Sendable {
    public struct Returns: Sendable {
        public var pool: String
        public var accountExecutive: String
        public var count: Int
        public var sample: [String]
    }

    public struct LostMembers: Sendable {
        public var pool: String
        public var users: [String]
    }

    public var returns: [Returns] = []
    public var lostMembers: [LostMembers] = []

    public var isEmpty: Bool { returns.isEmpty && lostMembers.isEmpty }

    static let day = 86_400.0

    /// Customers due under `model`'s pools at `now`: row -> pool id. A customer is
    /// under the first pool of its team whose `receives` matches its account executive.
    static func due(_ model: Model, table: CustomerTable, now: Double) -> [Int: String] {
        let org = model.organization
        var result: [Int: String] = [:]
        let timed = model.pools.filter { $0.noFollowupDays != nil || $0.noDealDays != nil }
        guard !timed.isEmpty else { return result }
        var poolOfUser: [String: [String: Pool]] = [:] // team -> user -> pool
        for user in org.users {
            for pool in model.pools where poolOfUser[pool.team]?[user.id] == nil && org.matches(pool.receives, user: user.id) {
                poolOfUser[pool.team, default: [:]][user.id] = pool
            }
        }
        let claimed = CustomerTable.timeKeys.firstIndex(of: "claimed_at")!, followup = CustomerTable.timeKeys.firstIndex(of: "last_followup_at")!
        let created = CustomerTable.timeKeys.firstIndex(of: "created_at")!
        for c in 0..<table.count where table.accountExecutive[c] >= 0 && table.pool[c] < 0 {
            let ae = table.org.userIds[Int(table.accountExecutive[c])]
            let team = table.team[c] >= 0 ? table.org.teamIds[Int(table.team[c])] : ""
            guard let pool = poolOfUser[team]?[ae], let days = [pool.noFollowupDays, pool.noDealDays].compactMap({ $0 }).min() else { continue }
            if !pool.exemptTags.isEmpty, table.tags.items(c).contains(where: pool.exemptTags.contains) { continue }
            // The clock: the later of the last follow-up and the claim (the creation, when neither happened).
            let times = [table.times[followup][c], table.times[claimed][c]].filter { !$0.isNaN }
            let since = times.max() ?? table.times[created][c]
            guard !since.isNaN, now - since >= Double(days) * day else { continue }
            result[c] = pool.id
        }
        return result
    }

    init() {}

    init(old: Model, new: Model, table: CustomerTable, now: Double) {
        let poolsChanged = old.pools.map { ConfigDiff.describe($0.receives) + "\($0.noFollowupDays ?? -1)/\($0.noDealDays ?? -1)/\($0.exemptTags)" }
            != new.pools.map { ConfigDiff.describe($0.receives) + "\($0.noFollowupDays ?? -1)/\($0.noDealDays ?? -1)/\($0.exemptTags)" }
        if poolsChanged {
            let before = Self.due(old, table: table, now: now), after = Self.due(new, table: table, now: now)
            var groups: [String: [Int]] = [:]
            for (c, pool) in after where before[c] == nil {
                groups[pool + "\u{1F}" + table.org.userIds[Int(table.accountExecutive[c])], default: []].append(c)
            }
            returns = groups.map { key, rows in
                let parts = key.split(separator: "\u{1F}").map(String.init)
                return Returns(pool: parts[0], accountExecutive: parts[1], count: rows.count, sample: rows.sorted().prefix(5).map { table.ids[$0] })
            }.sorted { ($0.pool, $0.accountExecutive) < ($1.pool, $1.accountExecutive) }
        }
        for pool in old.pools {
            let after = new.pools.first { $0.id == pool.id }
            let lost = old.organization.users.map(\.id).filter { id in
                old.organization.matches(pool.members, user: id) && !(after.map { new.organization.matches($0.members, user: id) } ?? false)
            }
            if !lost.isEmpty { lostMembers.append(LostMembers(pool: pool.id, users: lost)) }
        }
    }
}

extension Organization {
    /// Spec section 8: a user listed in `users`, or one who matches every other key given.
    public func matches(_ selector: Selector, user id: String) -> Bool {
        if selector.users.contains(id) { return true }
        guard !selector.departments.isEmpty || !selector.roles.isEmpty, let u = user(id) else { return false }
        if !selector.departments.isEmpty {
            guard let d = u.department, !Set(departmentAndAncestors(d)).isDisjoint(with: selector.departments) else { return false }
        }
        if !selector.roles.isEmpty, Set(u.roles).isDisjoint(with: selector.roles) { return false }
        return true
    }
}
