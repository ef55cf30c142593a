import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleStore

/// What a transfer did (or, as a dry run, would do): the customers that change hands,
/// those already so, and how many customers each user gains and loses.
package struct TransferOutcome: Sendable, Equatable {
    /// How many customers one user gains and loses, as account executive or as service representative.
    package struct Movement: Sendable, Equatable {
        package var user: String
        package var gains = 0
        package var loses = 0
    }

    /// The customers whose owner (or representative) changes, in the order given.
    package var transferred: [String] = []
    /// The customers already owned (and served) as asked.
    package var unchanged: [String] = []
    /// Account executives, by user id.
    package var accountExecutives: [Movement] = []
    /// Service representatives, by user id.
    package var serviceReps: [Movement] = []

    package init() {}

    mutating func move(_ list: WritableKeyPath<TransferOutcome, [Movement]>, from old: String?, to new: String?) {
        guard old != new else { return }
        func count(_ user: String?, _ step: WritableKeyPath<Movement, Int>) {
            guard let user else { return }
            if let i = self[keyPath: list].firstIndex(where: { $0.user == user }) {
                self[keyPath: list][i][keyPath: step] += 1
            } else {
                var movement = Movement(user: user)
                movement[keyPath: step] = 1
                self[keyPath: list].append(movement)
            }
        }
        count(old, \.loses)
        count(new, \.gains)
    }

    /// The summary as JSON: `{"transferred","unchanged","account_executives":[{"user","gains","loses"}],
    /// "service_reps":[...]}`.
    package var json: JSONValue {
        func movements(_ list: [Movement]) -> JSONValue {
            .array(
                list.sorted { $0.user < $1.user }.map {
                    .object([
                        ("user", .string($0.user)), ("gains", .number(String($0.gains))),
                        ("loses", .number(String($0.loses))),
                    ])
                })
        }
        return .object([
            ("transferred", .array(transferred.map(JSONValue.string))),
            ("unchanged", .array(unchanged.map(JSONValue.string))),
            ("account_executives", movements(accountExecutives)),
            ("service_reps", movements(serviceReps)),
        ])
    }
}

extension CustomerOperations {
    /// Gives customers to another account executive (and, with `serviceRep`, another
    /// service representative): each one checked by `assign`, all in one batch or none,
    /// each logged on its own with from and to. The old owner becomes the
    /// `previous_account_executive`, and the automatic return's clocks run from the
    /// transfer (`claimed_at`), as for a customer assigned from a pool. A customer
    /// sitting in a pool gets an owner through `pool assign`, not a transfer.
    /// With `dryRun`, says what would change and stores nothing.
    package func transfer(
        as actor: String, ids: [String], to owner: String, serviceRep: String? = nil, dryRun: Bool = false,
        time: String
    ) throws(OperationError) -> TransferOutcome {
        let u = try user(actor)
        _ = try user(owner)
        if let serviceRep { _ = try user(serviceRep) }
        guard !ids.isEmpty else { throw .invalid(["name at least one customer to transfer"]) }
        var outcome = TransferOutcome()
        var operations: [StoreOperation] = []
        for id in Self.distinct(ids) {
            let (document, table) = try existing(id, as: u, for: .assign)
            try refuseUnless(u, .assign, table, what: "transfer \(id)")
            // Of a customer the user may not view (transferred by its id), the outcome tells no
            // owner: it is counted as transferred, a gain of the new owner, a loss of nobody.
            let visible = policy.isAllowed(user: u, action: .view, customer: 0, in: table, now: now)
            guard case .object(var members) = document else {
                throw .invalid(["customer '\(id)' is not a valid document"])
            }
            var changes: [(String, JSONValue, JSONValue)] = []
            if case .string(let pool)? = document[StoredKey.pool.name] {
                // A pool the config no longer has cannot assign: the new owner takes the customer out of it.
                if poolNamed(pool) != nil {
                    throw .conflict([
                        "\(id) sits in pool '\(pool)': 'clientele pool assign \(id) --to \(owner)' gives it an owner"
                    ])
                }
                if let change = Self.set(&members, StoredKey.pool.name, .null) { changes.append(change) }
            }
            let oldOwner = document[StoredKey.accountExecutive.name]?.stringValue
            if let change = Self.set(&members, StoredKey.accountExecutive.name, .string(owner)) {
                changes.append(change)
                if let oldOwner,
                    let c = Self.set(&members, StoredKey.previousAccountExecutive.name, .string(oldOwner))
                {
                    changes.append(c)
                }
                if let c = Self.set(&members, StoredKey.claimedAt.name, .string(time)) { changes.append(c) }
                if visible { outcome.move(\.accountExecutives, from: oldOwner, to: owner) }
            }
            if let serviceRep {
                let oldRep = document[StoredKey.customerServiceRep.name]?.stringValue
                if let change = Self.set(&members, StoredKey.customerServiceRep.name, .string(serviceRep)) {
                    changes.append(change)
                    if visible { outcome.move(\.serviceReps, from: oldRep, to: serviceRep) }
                }
            }
            if !visible {
                outcome.move(\.accountExecutives, from: nil, to: owner)
                if let serviceRep { outcome.move(\.serviceReps, from: nil, to: serviceRep) }
            }
            guard !changes.isEmpty else {
                if visible { outcome.unchanged.append(id) } else { outcome.transferred.append(id) }
                continue
            }
            _ = Self.set(&members, StoredKey.modifiedAt.name, .string(time))
            _ = Self.set(&members, StoredKey.modifiedBy.name, .string(actor))
            outcome.transferred.append(id)
            operations.append(.put(id: id, document: .object(members)))
            operations.append(logEntry("transfer", actor: actor, time: time, customers: [id], changes: changes))
        }
        guard !dryRun, !operations.isEmpty else { return outcome }
        do { try store.commit(operations) } catch { throw .store(error) }
        return outcome
    }
}
