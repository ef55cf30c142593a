import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleStore

/// A deleted customer that may still be restored: its deletion kept the document, and
/// neither a restore nor a purge has ended it, within the config's `bin: {days: N}`.
package struct BinnedCustomer: Sendable {
    package var id: String
    package var deletedAt: String
    package var deletedBy: String
    /// The document as it last stood.
    package var document: JSONValue
    /// When it leaves the bin for good.
    package var expiresAt: String
    /// Which deletion of this id it is (1 for the first): a restore or a purge names it.
    package var deletion: Int

    package var json: JSONValue {
        .object([
            ("id", .string(id)), ("deleted_at", .string(deletedAt)), ("deleted_by", .string(deletedBy)),
            ("expires_at", .string(expiresAt)), ("document", document),
        ])
    }
}

/// The recycle bin, kept in the customer log: a deletion logs the document, a
/// restore puts it back exactly and logs which deletion it undid, a purge ends the
/// restore (the log keeps the history). Numbers stay retired throughout.
extension CustomerOperations {
    static let daySeconds = 86_400.0

    /// Every customer in the bin, by number.
    func binContents() throws(OperationError) -> [BinnedCustomer] {
        let deletes: [JSONValue]
        var ended: Set<String> = []
        do {
            deletes = try store.logEntries(type: "delete", actor: nil)
            for type in ["restore", "purge"] {
                for entry in try store.logEntries(type: type, actor: nil) {
                    guard case .array(let ids)? = entry["customers"], let id = ids.first?.stringValue,
                        case .number(let n)? = entry["deletion"]
                    else { continue }
                    ended.insert("\(id)#\(n)")
                }
            }
        } catch { throw .store(error) }
        var last: [String: BinnedCustomer] = [:]
        var deletions: [String: Int] = [:]
        for entry in deletes {
            guard case .array(let ids)? = entry["customers"], ids.count == 1, let id = ids[0].stringValue else {
                continue
            }
            deletions[id, default: 0] += 1
            guard case .object? = entry["document"], let time = entry["time"]?.stringValue,
                let at = Timestamp.parse(time)
            else {
                last[id] = nil
                continue
            }
            last[id] = BinnedCustomer(
                id: id, deletedAt: time, deletedBy: entry["actor"]?.stringValue ?? "", document: entry["document"]!,
                expiresAt: Timestamp.format(at + Double(config.model.binDays) * Self.daySeconds),
                deletion: deletions[id]!)
        }
        return last.values.filter { b in
            b.deletion == deletions[b.id] && !ended.contains("\(b.id)#\(b.deletion)") && !store.contains(b.id)
                && (Timestamp.parse(b.expiresAt) ?? 0) > now
        }.sorted { CustomerListing.numberOrder($0.id, $1.id) }
    }

    /// What a user hears about an id that is not in the bin, or that they may not restore
    /// nor view as it last stood (the two are never told apart).
    static func notInBin(_ id: String) -> OperationError { .notFound("there is no customer '\(id)' in the bin") }

    /// The customers in the bin that `actor` may restore: those they may view and restore
    /// as they last stood.
    package func bin(as actor: String) throws(OperationError) -> [BinnedCustomer] {
        let u = try user(actor)
        return try binContents().filter {
            let table = accessTable($0.document)
            return policy.isAllowed(user: u, action: .view, customer: 0, in: table, now: now)
                && policy.isAllowed(user: u, action: .restore, customer: 0, in: table, now: now)
        }.map { b in
            var shown = b
            shown.document = masked(b.document, fieldAccess(user: u, customer: 0, in: accessTable(b.document)))
            return shown
        }
    }

    /// Puts deleted customers back exactly as they last stood, all or none; each is
    /// checked by `restore` (decided on it as it last stood) and validated under the
    /// applied version. Returns the ids restored.
    @discardableResult
    package func restore(as actor: String, ids: [String], time: String) throws(OperationError) -> [String] {
        let u = try user(actor)
        guard !ids.isEmpty else { throw .invalid(["name at least one customer to restore"]) }
        let bin = Dictionary(uniqueKeysWithValues: try binContents().map { ($0.id, $0) })
        var operations: [StoreOperation] = []
        var claimed = UniqueClaims()
        for id in Self.distinct(ids) {
            if store.contains(id) {
                // A stored customer is not in the bin; one the user may not view is, to them, in no bin either.
                do { _ = try existing(id, as: u, for: .view) } catch {
                    if case .notFound = error { throw Self.notInBin(id) }
                    throw error
                }
                throw .conflict(["\(id) is not in the bin: it is a stored customer"])
            }
            guard let b = bin[id] else { throw Self.notInBin(id) }
            // A restore puts back what the user would see: one they may not view is in no bin for them.
            let table = accessTable(b.document)
            guard policy.isAllowed(user: u, action: .view, customer: 0, in: table, now: now) else {
                throw Self.notInBin(id)
            }
            try refuseUnless(u, .restore, table, what: "restore \(id)")
            do { try validate(b.document) } catch {
                switch error {
                case .invalid(let problems):
                    throw .invalid(
                        problems.map {
                            "\(id) cannot be restored as it stood under the applied config: \($0)"
                        })
                case .conflict(let problems):
                    throw .conflict(problems.map { "\(id) cannot be restored: \($0)" })
                default: throw error
                }
            }
            try claimed.claim(b.document, id: id, unique: unique, what: id)
            operations.append(.put(id: id, document: b.document))
            operations.append(
                logEntry(
                    "restore", actor: actor, time: time, customers: [id], changes: [],
                    extra: [("deletion", .number(String(b.deletion)))]))
        }
        do { try store.commit(operations) } catch { throw .store(error) }
        return operations.compactMap(\.id)
    }

    /// Ends the restore of the customers in the bin deleted at least `olderThanDays` ago
    /// (all of them without it): admins only. The log keeps their history. Returns the ids.
    @discardableResult
    package func purgeBin(as actor: String, olderThanDays: Int?, dryRun: Bool, time: String) throws(OperationError)
        -> [String]
    {
        let u = try user(actor)
        guard config.mayConfigure(u) else {
            throw .refused("\(actor) may not purge the bin: only users allowed 'configure' (admins) do")
        }
        let cutoff = olderThanDays.map { now - Double($0) * Self.daySeconds }
        let purged = try binContents().filter { b in
            cutoff.map { (Timestamp.parse(b.deletedAt) ?? 0) <= $0 } ?? true
        }
        guard !dryRun, !purged.isEmpty else { return purged.map(\.id) }
        let operations = purged.map { b in
            logEntry(
                "purge", actor: actor, time: time, customers: [b.id], changes: [],
                extra: [("deletion", .number(String(b.deletion)))])
        }
        do { try store.commit(operations) } catch { throw .store(error) }
        return purged.map(\.id)
    }
}
