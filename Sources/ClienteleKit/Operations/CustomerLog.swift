import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// Reading the customer log: filters and the one-line timeline form.
package enum CustomerLog {
    /// Whether `text` is a date or a date and time the log filters understand.
    package static func isTime(_ text: String) -> Bool { Timestamp.parse(text) != nil }

    /// Every type of entry the store writes.
    package static let types = [
        "create", "edit", "delete", "import", "share", "batch-share", "unshare", "batch-unshare", "tag",
        "follow", "unfollow", "return", "claim", "assign", "transfer", "followup", "apply", "repair", "restore",
        "purge", "merge", "record_add", "record_edit", "record_delete",
    ]

    package static func filter(_ entries: [JSONValue], customer: String?, type: String?, since: String?, until: String?)
        -> [JSONValue]
    {
        let from = since.flatMap(Timestamp.parse)
        let to = until.flatMap(Timestamp.parse)
        return entries.filter { e in
            if let type, e["type"]?.stringValue != type { return false }
            if let customer {
                guard case .array(let ids)? = e["customers"], ids.contains(.string(customer)) else { return false }
            }
            if from != nil || to != nil {
                guard let t = e["time"]?.stringValue.flatMap(Timestamp.parse) else { return false }
                if let from, t < from { return false }
                if let to, t >= to { return false }
            }
            return true
        }
    }

    /// `2026-11-23T10:00:00Z  bob  edit  P000001  level: "A" -> "B"`
    package static func line(_ e: JSONValue) -> String {
        var parts = [e["time"]?.stringValue ?? "", e["actor"]?.stringValue ?? "", e["type"]?.stringValue ?? ""]
        if case .array(let ids)? = e["customers"], !ids.isEmpty {
            parts.append(ids.compactMap(\.stringValue).joined(separator: ","))
        }
        // A related record's change names the record after its customer.
        if let kind = e["record"]?["kind"]?.stringValue, let id = e["record"]?["id"]?.stringValue {
            parts.append("\(kind) \(id)")
        }
        if case .array(let changes)? = e["changes"], !changes.isEmpty {
            parts.append(
                changes.map { c in
                    "\(c["field"]?.stringValue ?? ""): \(c["from"]?.jsonText ?? "null") -> \(c["to"]?.jsonText ?? "null")"
                }.joined(separator: "; "))
        }
        if let reason = e["reason"]?.stringValue { parts.append("reason: \(reason)") }
        return PrintableText.escaped(parts.joined(separator: "  ")) + "\n"
    }
}

extension CustomerLog {
    /// The entries `actor` may read, as they may read them: entries about customers
    /// they may view now, naming only those customers, each field change left out
    /// where `show` would leave the field out and masked where it would mask it
    /// (field rules, `hide_in_pool`). Users allowed `configure` also read the entries of
    /// deleted customers, and the config's own versions; a customer that exists and that
    /// they may not view stays out for them too.
    package static func readable(_ entries: [JSONValue], as actor: String, operations: CustomerOperations)
        throws(OperationError) -> [JSONValue]
    {
        let u = try operations.user(actor)
        let config = operations.config
        let admin = config.mayConfigure(u)
        let table: CustomerTable
        do { table = try operations.store.customerTable(for: config.access) } catch { throw .store(error) }
        // Per customer: nil, hidden; else what show would allow. A deleted customer's history is
        // for admins: what show allowed as it last stood, or .unrestricted when its deletion
        // was logged without the document.
        var known: [String: FieldAccess?] = [:]
        var deletedDocuments: [String: JSONValue] = [:]
        for entry in entries where entry["type"]?.stringValue == "delete" {
            if case .object? = entry["document"], case .array(let ids)? = entry["customers"], ids.count == 1,
                let id = ids[0].stringValue
            {
                deletedDocuments[id] = entry["document"]
            }
        }
        // A deleted customer's fields, but the ones the schema hides anywhere.
        var deleted = FieldAccess.unrestricted
        deleted.hidden = config.records.validators.reduce(into: Set<String>()) { $0.formUnion($1.hiddenIdentities) }
        func access(_ id: String) -> FieldAccess? {
            if let cached = known[id] { return cached }
            var result: FieldAccess?
            if let c = table.index(of: id) {
                if config.access.decide(user: u, action: .view, customer: c, in: table, now: operations.now).allowed {
                    result = operations.fieldAccess(user: u, customer: c, in: table)
                }
            } else if admin, let document = deletedDocuments[id] {
                let last = operations.accessTable(document)
                if last.team[0] < 0 {
                    result = deleted  // its team is gone from the config: read as before documents were kept
                } else if config.access.decide(user: u, action: .view, customer: 0, in: last, now: operations.now)
                    .allowed
                {
                    result = operations.fieldAccess(user: u, customer: 0, in: last)
                }
            } else if admin {
                result = deleted
            }
            known[id] = .some(result)
            return result
        }
        return entries.compactMap { entry -> JSONValue? in
            guard case .object(var members) = entry, case .array(let listed)? = entry["customers"] else {
                return admin ? entry : nil
            }
            let ids = listed.compactMap(\.stringValue)
            if ids.isEmpty { return admin ? entry : nil }
            let seen = ids.filter { access($0) != nil }
            if seen.isEmpty { return nil }
            if let k = members.firstIndex(where: { $0.0 == "customers" }) {
                members[k].1 = .array(seen.map(JSONValue.string))
            }
            // A related record's fields are its kind's, not the customer's: whoever may view
            // the customer reads them whole, as `record show` shows them.
            if entry["record"] != nil { return .object(members) }
            if let k = members.firstIndex(where: { $0.0 == "document" }) {
                if ids.count == 1, let fieldAccess = access(ids[0]) {
                    members[k].1 = operations.masked(members[k].1, fieldAccess)
                } else {
                    members.remove(at: k)
                }
            }
            if let k = members.firstIndex(where: { $0.0 == "changes" }), case .array(let changes) = members[k].1 {
                // A merge's changes are the kept customer's, the first it names.
                let single = ids.count == 1 || entry["type"]?.stringValue == "merge" ? ids[0] : nil
                members[k].1 = .array(
                    changes.compactMap { change in shown(change, ids: ids, single: single, access: access) })
            }
            return .object(members)
        }
    }

    /// One change as the reader may see it; a batch names each change `ID.key`.
    private static func shown(_ change: JSONValue, ids: [String], single: String?, access: (String) -> FieldAccess?)
        -> JSONValue?
    {
        guard case .object(var members) = change, let name = change["field"]?.stringValue else { return change }
        var customer = single
        var key = name
        if let dot = name.firstIndex(of: "."), ids.contains(String(name[..<dot])) {
            customer = String(name[..<dot])
            key = String(name[name.index(after: dot)...])
        }
        guard let customer, let fieldAccess = access(customer) else { return nil }
        if CustomerOperations.documentKeys.contains(key) || key.hasPrefix("shared.") { return change }
        guard fieldAccess.canRead(key) else { return nil }
        guard let mask = fieldAccess.masks[key] else { return change }
        for k in members.indices where members[k].0 == "from" || members[k].0 == "to" {
            members[k].1 = FieldAccess.masked(members[k].1, mask)
        }
        return .object(members)
    }
}
