import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// The pool operations of spec section 8: return, claim, assign, follow-ups, and
/// the automatic return sweep. Every limit is checked while the store's writer
/// lock is held, in the process that then commits the change, so no number of
/// concurrent claims can pass a limit.
extension CustomerOperations {
    var schedule: PoolSchedule { PoolSchedule(config.model) }

    func poolNamed(_ id: String) -> Pool? { config.model.pools.first { $0.id == id } }

    func isPoolAdmin(_ user: String, _ pool: Pool) -> Bool {
        config.model.organization.matches(pool.admins, user: user)
    }
    func isPoolMember(_ user: String, _ pool: Pool) -> Bool {
        config.model.organization.matches(pool.members, user: user)
    }

    static func set(_ members: inout [(String, JSONValue)], _ key: String, _ value: JSONValue) -> (
        String, JSONValue, JSONValue
    )? {
        let old = members.first { $0.0 == key }?.1 ?? .null
        guard old != value else { return nil }
        if let k = members.firstIndex(where: { $0.0 == key }) {
            members[k].1 = value
        } else {
            members.append((key, value))
        }
        return (key, old, value)
    }

    /// Commits changed documents and one log entry for all of them. Pool operations
    /// change keys the store keeps, never field values, so the records are not
    /// validated again. Returns the ids of the customers it changed.
    @discardableResult
    func commitPool(
        _ updates: [(id: String, members: [(String, JSONValue)], changes: [(String, JSONValue, JSONValue)])],
        type: String, actor: String, time: String, reason: String?
    ) throws(OperationError) -> [String] {
        var operations: [StoreOperation] = []
        var changes: [(String, JSONValue, JSONValue)] = []
        for u in updates {
            let document = JSONValue.object(u.members)
            operations.append(.put(id: u.id, document: document))
            changes += u.changes.map { ("\(u.id).\($0.0)", $0.1, $0.2) }
        }
        guard !operations.isEmpty else { return [] }
        operations.append(
            logEntry(type, actor: actor, time: time, customers: updates.map(\.id), changes: changes, reason: reason))
        do { try store.commit(operations) } catch { throw .store(error) }
        return updates.map(\.id)
    }

    /// Returns customers to the pool that receives their account executive's customers.
    /// Returns each customer returned, with the pool it went to.
    @discardableResult
    package func returnToPool(as actor: String, ids: [String], reason: String?, time: String) throws(OperationError)
        -> [(id: String, pool: String)]
    {
        let u = try user(actor)
        var updates: [(id: String, members: [(String, JSONValue)], changes: [(String, JSONValue, JSONValue)])] = []
        var returned: [(id: String, pool: String)] = []
        for id in Self.distinct(ids) {
            let (document, table) = try existing(id, as: u, for: .returnToPool)
            if let pool = document[StoredKey.pool.name]?.stringValue {
                throw .conflict(["\(id) is already in pool '\(pool)'"])
            }
            try refuseUnless(
                u, .returnToPool, table, what: "return \(id) to the pool")
            guard let team = document[StoredKey.team.name]?.stringValue,
                let ae = document[StoredKey.accountExecutive.name]?.stringValue
            else {
                throw .conflict(["\(id) has no account executive, so there is nothing to return"])
            }
            guard let pool = schedule.pool(team: team, accountExecutive: ae) else {
                throw .invalid(["no pool of team '\(team)' receives the customers of \(ae)"])
            }
            if let reason, !pool.reasons.isEmpty, !pool.reasons.contains(reason) {
                throw .invalid([
                    "'\(reason)' is not a reason of pool '\(pool.id)'; the reasons are \(pool.reasons.joined(separator: ", "))\(Suggestion.didYouMean(reason, in: pool.reasons))"
                ])
            }
            if reason == nil && pool.requireReason {
                throw .invalid([
                    "pool '\(pool.id)' needs a reason to return a customer: give --reason, one of \(pool.reasons.joined(separator: ", "))"
                ])
            }
            guard case .object(var members) = document else {
                throw .invalid(["customer '\(id)' is not a valid document"])
            }
            var changes: [(String, JSONValue, JSONValue)] = []
            for (key, value) in [
                (StoredKey.accountExecutive.name, JSONValue.null), (StoredKey.pool.name, .string(pool.id)),
                (StoredKey.previousAccountExecutive.name, .string(ae)),
                ("returned_at", .string(time)), (StoredKey.returnReason.name, reason.map(JSONValue.string) ?? .null),
                ("pool_policy_version", .number(String(configVersion))),
            ] {
                if let change = Self.set(&members, key, value) { changes.append(change) }
            }
            updates.append((id, members, changes))
            returned.append((id, pool.id))
        }
        try commitPool(updates, type: "return", actor: actor, time: time, reason: reason)
        return returned
    }

    /// Claims customers from their pools; `max_held`, `max_per_day` and `cooldown_days`
    /// are checked here, under the lock, for the whole batch.
    @discardableResult
    package func claim(as actor: String, ids: [String], time: String) throws(OperationError) -> [String] {
        let u = try user(actor)
        guard let now = Timestamp.parse(time) else { throw .invalid(["'\(time)' is not a time"]) }
        var updates: [(id: String, members: [(String, JSONValue)], changes: [(String, JSONValue, JSONValue)])] = []
        var perTeam: [String: Int] = [:]
        var pools: [String: Pool] = [:]
        for id in Self.distinct(ids) {
            let (document, table) = try existing(id, as: u, for: .claim)
            guard let poolId = document[StoredKey.pool.name]?.stringValue, let pool = poolNamed(poolId) else {
                throw notInPool(id, table, user: u)
            }
            try refuseUnless(u, .claim, table, what: "claim \(id)")
            guard isPoolMember(actor, pool) || isPoolAdmin(actor, pool) else {
                throw .refused("\(actor) may not claim \(id): only members of pool '\(pool.id)' claim from it")
            }
            if let days = pool.cooldownDays, document[StoredKey.previousAccountExecutive.name]?.stringValue == actor,
                let returned = document[StoredKey.returnedAt.name]?.stringValue.flatMap(Timestamp.parse),
                now < returned + Double(days) * PoolSchedule.day
            {
                throw .refused(
                    "\(actor) may not claim \(id) yet: \(actor) returned it on \(returned.iso8601), and pool '\(pool.id)' has a cooldown of \(days) days; it can be claimed again from \((returned + Double(days) * PoolSchedule.day).iso8601)"
                )
            }
            guard case .object(var members) = document else {
                throw .invalid(["customer '\(id)' is not a valid document"])
            }
            var changes: [(String, JSONValue, JSONValue)] = []
            for (key, value) in [
                (StoredKey.accountExecutive.name, JSONValue.string(actor)), (StoredKey.pool.name, .null),
                (StoredKey.claimedAt.name, .string(time)),
            ] {
                if let change = Self.set(&members, key, value) { changes.append(change) }
            }
            updates.append((id, members, changes))
            perTeam[pool.team, default: 0] += 1
            pools[pool.id] = pool
        }
        // The limits, counted over the store as it is while this process holds the lock.
        if pools.values.contains(where: { $0.maxHeld != nil }) {
            let table: CustomerTable
            do { table = try store.customerTable(for: policy) } catch { throw .store(error) }
            for (team, claiming) in perTeam {
                guard let limit = pools.values.filter({ $0.team == team }).compactMap(\.maxHeld).min(),
                    let t = policy.org.team(team)
                else { continue }
                let held = (0..<table.count).reduce(0) {
                    $0 + (table.accountExecutive[$1] == Int32(u) && table.team[$1] == Int32(t) ? 1 : 0)
                }
                if held + claiming > limit {
                    throw .refused(
                        "\(actor) may not claim \(claiming) more: \(actor) holds \(held) customers of team '\(team)' and the pool allows \(limit) (max_held); it frees up when \(actor) returns a customer"
                    )
                }
            }
        }
        if let limit = pools.values.compactMap(\.maxPerDay).min() {
            let dayStart = (now / PoolSchedule.day).rounded(.down) * PoolSchedule.day
            var today = 0
            do {
                for entry in try store.logEntries(type: "claim", actor: actor) {
                    guard let at = entry["time"]?.stringValue.flatMap(Timestamp.parse), at >= dayStart,
                        at < dayStart + PoolSchedule.day,
                        case .array(let customers)? = entry["customers"]
                    else { continue }
                    today += customers.count
                }
            } catch { throw .store(error) }
            if today + updates.count > limit {
                throw .refused(
                    "\(actor) may not claim \(updates.count) more today: \(actor) claimed \(today) today and the pool allows \(limit) a day (max_per_day); the count starts again at \((dayStart + PoolSchedule.day).iso8601)"
                )
            }
        }
        return try commitPool(updates, type: "claim", actor: actor, time: time, reason: nil)
    }

    /// A pool admin gives pool customers to a user.
    @discardableResult
    package func assign(as actor: String, ids: [String], to owner: String, time: String) throws(OperationError)
        -> [String]
    {
        let u = try user(actor)
        _ = try user(owner)
        var updates: [(id: String, members: [(String, JSONValue)], changes: [(String, JSONValue, JSONValue)])] = []
        for id in Self.distinct(ids) {
            let (document, table) = try existing(id, as: u, for: .assign)
            guard let poolId = document[StoredKey.pool.name]?.stringValue, let pool = poolNamed(poolId) else {
                throw notInPool(id, table, user: u)
            }
            try refuseUnless(u, .assign, table, what: "assign \(id)")
            guard isPoolAdmin(actor, pool) else {
                throw .refused("\(actor) may not assign \(id): only admins of pool '\(pool.id)' assign its customers")
            }
            guard case .object(var members) = document else {
                throw .invalid(["customer '\(id)' is not a valid document"])
            }
            var changes: [(String, JSONValue, JSONValue)] = []
            for (key, value) in [
                (StoredKey.accountExecutive.name, JSONValue.string(owner)), (StoredKey.pool.name, .null),
                (StoredKey.claimedAt.name, .string(time)),
            ] {
                if let change = Self.set(&members, key, value) { changes.append(change) }
            }
            updates.append((id, members, changes))
        }
        return try commitPool(updates, type: "assign", actor: actor, time: time, reason: nil)
    }

    /// Records a follow-up (and a deal won or lost): the clocks of the automatic return.
    package func followup(as actor: String, id: String, note: String, deal: String?, time: String)
        throws(OperationError)
    {
        let u = try user(actor)
        if let deal, !["won", "lost"].contains(deal) { throw .invalid(["--deal is won or lost, not '\(deal)'"]) }
        let (document, table) = try existing(id, as: u, for: .edit)
        try refuseUnless(u, .edit, table, what: "record a follow-up of \(id)")
        guard case .object(var members) = document else { throw .invalid(["customer '\(id)' is not a valid document"]) }
        var changes: [(String, JSONValue, JSONValue)] = []
        var pairs: [(String, JSONValue)] = [(StoredKey.lastFollowupAt.name, .string(time))]
        if let deal { pairs += [(StoredKey.lastDealAt.name, .string(time)), (StoredKey.deal.name, .string(deal))] }
        for (key, value) in pairs { if let change = Self.set(&members, key, value) { changes.append(change) } }
        try commitPool([(id, members, changes)], type: "followup", actor: actor, time: time, reason: note)
    }

    /// The field access of `user` on row `c`, with a pool's `hide_in_pool` fields
    /// masked for everyone but its admins while the customer sits in it.
    func fieldAccess(user u: Int, customer c: Int, in table: CustomerTable, now: Double? = nil) -> FieldAccess {
        var access = policy.fieldAccess(user: u, customer: c, in: table, now: now ?? self.now)
        let package = table.package[c] >= 0 ? table.org.packageIds[Int(table.package[c])] : nil
        // A customer of a team the config no longer has (a deletion logged earlier): every field hidden anywhere.
        access.hidden =
            table.team[c] >= 0
            ? hiddenFields(team: table.org.teamIds[Int(table.team[c])], table: table.tableKind(c), package: package)
            : config.records.validators.reduce(into: Set<String>()) { $0.formUnion($1.hiddenIdentities) }
        guard table.pool[c] >= 0, let pool = poolNamed(table.org.poolIds[Int(table.pool[c])]), !pool.hideInPool.isEmpty,
            !isPoolAdmin(policy.org.userIds[u], pool)
        else { return access }
        for field in pool.hideInPool { access.masks[field] = .all }
        return access
    }

    static func distinct(_ ids: [String]) -> [String] {
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }
}

/// The automatic return: who is due now, who is warned, and the returns themselves.
package struct PoolSweep: Sendable {
    package struct Item: Sendable, Equatable {
        package var id: String
        package var accountExecutive: String
        package var pool: String
        package var rule: String
        package var days: Int
        package var at: Double
    }

    package var returns: [Item] = []
    package var warnings: [Item] = []

    /// Customers due at `now` (to return) and due within their pool's `warn_days_before`
    /// (to warn), in the pools `actor` may sweep (refused when there is none).
    package static func plan(_ operations: CustomerOperations, as actor: String, now: Double) throws(OperationError)
        -> PoolSweep
    {
        let u = try operations.user(actor)
        let pools = Set(operations.config.model.pools.filter { operations.config.maySweep(u, pool: $0) }.map(\.id))
        if pools.isEmpty, !operations.config.model.pools.isEmpty {
            throw .refused("\(actor) may not sweep any pool: 'sweep' belongs to admins and each pool's admins")
        }
        let table: CustomerTable
        do { table = try operations.store.customerTable(for: operations.policy) } catch { throw .store(error) }
        let schedule = operations.schedule
        var sweep = PoolSweep()
        for c in 0..<table.count {
            guard let due = schedule.due(c, in: table), pools.contains(due.pool) else { continue }
            let item = Item(
                id: table.ids[c], accountExecutive: table.org.userIds[Int(table.accountExecutive[c])], pool: due.pool,
                rule: due.rule, days: due.days, at: due.at)
            if due.at <= now {
                sweep.returns.append(item)
            } else if due.at - Double(schedule.warnDays(due.pool)) * PoolSchedule.day <= now {
                sweep.warnings.append(item)
            }
        }
        return sweep
    }

    /// Returns every due customer in one batch, one log entry per pool and rule.
    package func run(_ operations: CustomerOperations, actor: String, time: String) throws(OperationError) {
        var operationsToCommit: [StoreOperation] = []
        var groups: [String: [String]] = [:]
        for item in returns {
            let document = try operations.existing(item.id)
            guard case .object(var members) = document else { continue }
            let reason =
                "\(item.rule.replacingOccurrences(of: "_days", with: "").replacingOccurrences(of: "_", with: " ")) for \(item.days) days (pool \(item.pool))"
            for (key, value) in [
                (StoredKey.accountExecutive.name, JSONValue.null), (StoredKey.pool.name, .string(item.pool)),
                (StoredKey.previousAccountExecutive.name, .string(item.accountExecutive)),
                ("returned_at", .string(time)), (StoredKey.returnReason.name, .string(reason)),
                ("pool_policy_version", .number(String(operations.configVersion))),
            ] {
                _ = CustomerOperations.set(&members, key, value)
            }
            operationsToCommit.append(.put(id: item.id, document: .object(members)))
            groups[reason, default: []].append(item.id)
        }
        guard !operationsToCommit.isEmpty else { return }
        for (reason, ids) in groups.sorted(by: { $0.key < $1.key }) {
            operationsToCommit.append(
                operations.logEntry(
                    "return", actor: actor, time: time, customers: ids, changes: [],
                    reason: "automatic return: " + reason))
        }
        do { try operations.store.commit(operationsToCommit) } catch { throw .store(error) }
    }
}

extension Double {
    /// Seconds since 1970 as `2026-11-23T09:00:00Z`.
    var iso8601: String { Timestamp.format(self) }
}

extension CustomerOperations {
    /// Why a customer outside every pool cannot be claimed or assigned: to a user who
    /// may not view it, the same words as for an id that does not exist.
    func notInPool(_ id: String, _ table: CustomerTable, user u: Int) -> OperationError {
        policy.isAllowed(user: u, action: .view, customer: 0, in: table, now: now)
            ? .conflict(["\(id) is in no pool"]) : Self.noCustomer(id)
    }
}
