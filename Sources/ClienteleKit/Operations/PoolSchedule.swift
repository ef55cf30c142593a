import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// When the automatic return of spec section 8 is due for each owned customer:
/// the pool that would receive it (the first of its team whose `receives`
/// matches its account executive), the rule and the time. Shared by the sweep
/// and by plan's pool impact.
package struct PoolSchedule: Sendable {
    package static let day = 86_400.0

    package struct Due: Sendable, Equatable {
        package var row: Int
        package var pool: String
        /// `no_followup_days` or `no_deal_days`.
        package var rule: String
        package var days: Int
        /// Seconds since 1970 when the customer is due.
        package var at: Double
    }

    let model: Model
    /// team -> user -> the pool that receives that user's customers.
    let receiving: [String: [String: Pool]]

    package init(_ model: Model) {
        self.model = model
        var receiving: [String: [String: Pool]] = [:]
        for user in model.organization.users {
            for pool in model.pools
            where receiving[pool.team]?[user.id] == nil && model.organization.matches(pool.receives, user: user.id) {
                receiving[pool.team, default: [:]][user.id] = pool
            }
        }
        self.receiving = receiving
    }

    /// The pool a customer of `team` owned by `accountExecutive` returns to.
    package func pool(team: String, accountExecutive: String) -> Pool? { receiving[team]?[accountExecutive] }

    static let claimed = CustomerTable.timeKeys.firstIndex(of: "claimed_at")!
    static let followup = CustomerTable.timeKeys.firstIndex(of: "last_followup_at")!
    static let deal = CustomerTable.timeKeys.firstIndex(of: "last_deal_at")!
    static let created = CustomerTable.timeKeys.firstIndex(of: "created_at")!

    /// The earliest automatic return of row `c` (owned, in no pool, not exempt), or nil.
    package func due(_ c: Int, in table: CustomerTable) -> Due? {
        guard table.accountExecutive[c] >= 0, table.pool[c] < 0, table.team[c] >= 0 else { return nil }
        let ae = table.org.userIds[Int(table.accountExecutive[c])]
        guard let pool = pool(team: table.org.teamIds[Int(table.team[c])], accountExecutive: ae) else { return nil }
        if !pool.exemptTags.isEmpty, table.tags.items(c).contains(where: pool.exemptTags.contains) { return nil }
        // Each clock runs from the later of its event and the claim; from the creation when neither happened.
        let claimedAt = table.times[Self.claimed][c]
        func since(_ event: Int) -> Double {
            let at = table.times[event][c]
            if at.isNaN && claimedAt.isNaN { return table.times[Self.created][c] }
            return at.isNaN ? claimedAt : claimedAt.isNaN ? at : max(at, claimedAt)
        }
        var found: Due?
        func consider(_ rule: String, _ days: Int?, _ event: Int) {
            guard let days else { return }
            let start = since(event)
            guard !start.isNaN else { return }
            let at = start + Double(days) * Self.day
            if found.map({ at < $0.at }) ?? true { found = Due(row: c, pool: pool.id, rule: rule, days: days, at: at) }
        }
        consider("no_followup_days", pool.noFollowupDays, Self.followup)
        consider("no_deal_days", pool.noDealDays, Self.deal)
        return found
    }

    /// How many days before its return a customer's owner is warned (0: not warned).
    package func warnDays(_ pool: String) -> Int { model.pools.first { $0.id == pool }?.warnDaysBefore ?? 0 }
}
