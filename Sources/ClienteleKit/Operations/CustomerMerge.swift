import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// What a merge did: the customer kept, those merged into it, and the fields it changed.
package struct MergeOutcome: Sendable {
    package var kept: String
    package var merged: [String]
    package var fields: [String]

    package var json: JSONValue {
        .object([
            ("kept", .string(kept)), ("merged", .array(merged.map(JSONValue.string))),
            ("fields", .array(fields.map(JSONValue.string))),
        ])
    }
}

extension CustomerOperations {
    /// Merges `others` into `keep`, in one batch: `keep` keeps its values and takes, for
    /// each field it lacks, the first value the others give (in their order), or the
    /// value of the customer `take` names for that field; tags, shares and followers are
    /// joined. The others are deleted (into the bin, whence `restore` takes them back)
    /// and one `merge` entry, on every customer involved, records it. Checked as an edit
    /// of `keep` and a deletion of each other; the merged customer is validated.
    package func merge(
        as actor: String, keep: String, others: [String], take: [(field: String, from: String)], time: String
    ) throws(OperationError) -> MergeOutcome {
        let u = try user(actor)
        let others = Self.distinct(others)
        guard !others.isEmpty else { throw .invalid(["name at least one customer to merge into \(keep)"]) }
        if others.contains(keep) { throw .invalid(["\(keep) is the customer kept: it cannot be merged into itself"]) }
        // Every customer involved must be one the user may view: a merge moves its values.
        let (kept, keptTable) = try existing(keep, as: u, for: .view)
        try refuseUnless(u, .edit, keptTable, what: "edit \(keep)")
        var documents: [(id: String, document: JSONValue)] = []
        var readable: [String: FieldAccess] = [:]
        for id in others {
            let (document, table) = try existing(id, as: u, for: .view)
            try refuseUnless(u, .delete, table, what: "delete \(id)")
            documents.append((id, document))
            readable[id] = fieldAccess(user: u, customer: 0, in: table)
        }
        for (id, document) in [(keep, kept)] + documents {
            if case .string(let pool)? = document[StoredKey.pool.name] {
                throw .conflict(["\(id) sits in pool '\(pool)': give it an owner ('pool assign') before merging"])
            }
        }
        guard case .object(var members) = kept, let team = kept[StoredKey.team.name]?.stringValue,
            let table = kept[StoredKey.table.name]?.stringValue.flatMap(TableKind.init(rawValue:))
        else { throw .invalid(["customer '\(keep)' is not a valid document"]) }
        let package = kept[StoredKey.package.name]?.stringValue
        for (id, document) in documents {
            guard document[StoredKey.team.name]?.stringValue == team,
                document[StoredKey.table.name]?.stringValue == table.rawValue,
                document[StoredKey.package.name]?.stringValue == package
            else {
                throw .invalid([
                    "\(id) is not of the table\(package == nil ? "" : " and package") of \(keep): only customers of one kind merge"
                ])
            }
        }
        let known = Set(
            config.model.schema.fields(
                team: team, table: table, package: package, inheritance: store.version?.inheritance ?? .everything
            ).flatMap(\.identities))
        var chosen: [String: String] = [:]
        for (field, from) in take {
            guard known.contains(field) else {
                throw .invalid([
                    "--take \(field)=\(from): \(keep) has no field '\(field)'\(Suggestion.didYouMean(field, in: known))"
                ])
            }
            guard from == keep || others.contains(from) else {
                throw .invalid(["--take \(field)=\(from): \(from) is not one of the customers merged"])
            }
            if let earlier = chosen[field], earlier != from {
                throw .invalid(["--take names field '\(field)' twice (\(earlier) and \(from))"])
            }
            if let access = readable[from], !access.canRead(field) || access.masks[field] != nil {
                throw .refused("\(actor) may not take '\(field)' from \(from): the field rules do not let them read it")
            }
            chosen[field] = from
        }
        func fields(_ document: JSONValue) -> [(String, JSONValue)] {
            if case .object(let f)? = document["fields"] { return f }
            return []
        }
        let byId = Dictionary(uniqueKeysWithValues: documents.map { ($0.id, $0.document) })
        var merged = fields(kept)
        var changes: [(String, JSONValue, JSONValue)] = []
        let candidates = Set(documents.flatMap { fields($0.document).map(\.0) }).union(chosen.keys)
        for field in known.intersection(candidates).sorted() {
            let current = merged.first { $0.0 == field }?.1 ?? .null
            var value = current
            if let from = chosen[field] {
                value = fields(from == keep ? kept : byId[from] ?? .null).first { $0.0 == field }?.1 ?? .null
            } else if current.isNull {
                // Only a value the user may read moves: the kept customer's readers may not be the others'.
                value =
                    documents.lazy.filter {
                        readable[$0.id]?.canRead(field) == true && readable[$0.id]?.masks[field] == nil
                    }
                    .compactMap { fields($0.document).first { $0.0 == field }?.1 }.first ?? .null
            }
            guard value != current else { continue }
            changes.append((field, current, value))
            merged.removeAll { $0.0 == field }
            if !value.isNull { merged.append((field, value)) }
        }
        try checkWritable(u, changes.map(\.0), keptTable)
        func set(_ key: String, _ value: JSONValue) {
            if let i = members.firstIndex(where: { $0.0 == key }) {
                members[i].1 = value
            } else {
                members.append((key, value))
            }
        }
        set("fields", .object(merged))
        // Tags, followers and shares: the union, the kept customer's first.
        func union(_ values: [JSONValue?]) -> JSONValue {
            var seen: [JSONValue] = []
            for case .array(let items)? in values { for item in items where !seen.contains(item) { seen.append(item) } }
            return .array(seen)
        }
        let all = [kept] + documents.map(\.document)
        for key in [StoredKey.tags.name, StoredKey.followers.name] {
            let joined = union(all.map { $0[key] })
            if joined != kept[key] ?? .array([]) { changes.append((key, kept[key] ?? .null, joined)) }
            set(key, joined)
        }
        var shared: [(String, JSONValue)] = []
        for key in ["users", "departments", "roles"] { shared.append((key, union(all.map { $0["shared"]?[key] }))) }
        if JSONValue.object(shared) != kept["shared"] ?? .null {
            changes.append(("shared", kept["shared"] ?? .null, .object(shared)))
        }
        set("shared", .object(shared))
        set(StoredKey.modifiedAt.name, .string(time))
        set(StoredKey.modifiedBy.name, .string(actor))
        let document = JSONValue.object(members)
        try validate(document, leaving: Set(others))
        var operations: [StoreOperation] = [.put(id: keep, document: document)]
        // The others' related records move to the kept customer.
        let related = RelatedRecords(operations: self)
        for (id, _) in documents where store.recordCount > 0 {
            for record in try related.records(of: id) {
                guard case .object(var members) = record.document else { continue }
                if let k = members.firstIndex(where: { $0.0 == "customer" }) { members[k].1 = .string(keep) }
                operations.append(.putRecord(kind: record.kind, id: record.id, document: .object(members)))
                operations.append(
                    related.logEntry(
                        "record_edit", actor: actor, time: time, customer: keep, kind: record.kind, id: record.id,
                        changes: [("customer", .string(id), .string(keep))]))
            }
        }
        for (id, other) in documents {
            operations.append(.delete(id: id))
            operations.append(
                logEntry(
                    "delete", actor: actor, time: time, customers: [id], changes: [], reason: "merged into \(keep)",
                    document: other))
        }
        operations.append(
            logEntry("merge", actor: actor, time: time, customers: [keep] + others, changes: changes))
        do { try store.commit(operations) } catch { throw .store(error) }
        return MergeOutcome(kept: keep, merged: others, fields: changes.map(\.0))
    }
}
