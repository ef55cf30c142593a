import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// What changed pool rules do: customers the new automatic return would send back
/// now (that the applied rules would not), per account executive, and members who
/// lose the right to claim.
package struct PoolImpact: Sendable {
    package struct Returns: Sendable {
        package var pool: String
        package var accountExecutive: String
        package var count: Int
        package var sample: [String]
    }

    package struct LostMembers: Sendable {
        package var pool: String
        package var users: [String]
    }

    /// Customers sitting in a pool the new config removes: nobody could claim or
    /// assign them, so the plan is refused until they have owners.
    package struct Stranded: Sendable {
        package var pool: String
        package var count: Int
        package var sample: [String]
    }

    package var returns: [Returns] = []
    package var lostMembers: [LostMembers] = []
    package var stranded: [Stranded] = []

    package var isEmpty: Bool { returns.isEmpty && lostMembers.isEmpty }

    /// Customers due under `model`'s pools at `now`: row -> pool id.
    static func due(_ model: Model, table: CustomerTable, now: Double) -> [Int: String] {
        guard model.pools.contains(where: { $0.noFollowupDays != nil || $0.noDealDays != nil }) else { return [:] }
        let schedule = PoolSchedule(model)
        var result: [Int: String] = [:]
        for c in 0..<table.count {
            if let due = schedule.due(c, in: table), due.at <= now { result[c] = due.pool }
        }
        return result
    }

    init() {}

    init(old: Model, new: Model, table: CustomerTable, now: Double) {
        let poolsChanged =
            old.pools.map {
                ConfigDiff.describe($0.receives) + "\($0.noFollowupDays ?? -1)/\($0.noDealDays ?? -1)/\($0.exemptTags)"
            }
            != new.pools.map {
                ConfigDiff.describe($0.receives) + "\($0.noFollowupDays ?? -1)/\($0.noDealDays ?? -1)/\($0.exemptTags)"
            }
        if poolsChanged {
            let before = Self.due(old, table: table, now: now)
            let after = Self.due(new, table: table, now: now)
            struct Owner: Hashable {
                var pool: String
                var accountExecutive: String
            }
            var groups: [Owner: [Int]] = [:]
            for (c, pool) in after where before[c] == nil {
                let owner = Owner(pool: pool, accountExecutive: table.org.userIds[Int(table.accountExecutive[c])])
                groups[owner, default: []].append(c)
            }
            returns = groups.map { owner, rows in
                Returns(
                    pool: owner.pool, accountExecutive: owner.accountExecutive, count: rows.count,
                    sample: rows.sorted().prefix(5).map { table.ids[$0] })
            }.sorted { ($0.pool, $0.accountExecutive) < ($1.pool, $1.accountExecutive) }
        }
        // Customers removed with their team or package by the same change need no owner.
        let teams = Set(new.organization.teams.map(\.id))
        let packages = Set(new.schema.packages.map(\.id))
        func remains(_ c: Int) -> Bool {
            let t = Int(table.team[c])
            let p = Int(table.package[c])
            return t >= 0 && teams.contains(table.org.teamIds[t])
                && (p < 0 || packages.contains(table.org.packageIds[p]))
        }
        for pool in old.pools {
            let after = new.pools.first { $0.id == pool.id }
            let lost = old.organization.users.map(\.id).filter { id in
                old.organization.matches(pool.members, user: id)
                    && !(after.map { new.organization.matches($0.members, user: id) } ?? false)
            }
            if !lost.isEmpty { lostMembers.append(LostMembers(pool: pool.id, users: lost)) }
            if after == nil, let k = table.org.pool(pool.id) {
                let rows = (0..<table.count).filter { table.pool[$0] == Int32(k) && remains($0) }
                if !rows.isEmpty {
                    stranded.append(
                        Stranded(pool: pool.id, count: rows.count, sample: rows.prefix(5).map { table.ids[$0] }))
                }
            }
        }
    }
}
