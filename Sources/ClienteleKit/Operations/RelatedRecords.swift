import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// The operations on records related to customers (`related:` kinds: contacts,
/// orders, sites, ...): each checked by the access of its kind (`inherit`: who may
/// view, edit or delete the customer may do the same to its records; adding one
/// edits the customer), validated by the kind's fields, and logged under its
/// customer, in the batch that makes the change.
package struct RelatedRecords {
    package let operations: CustomerOperations

    package init(config: CompiledConfig, store: any CustomerStore, now: Double = Timestamp.processStart) {
        operations = CustomerOperations(config: config, store: store, now: now)
    }

    /// The records of the customers `operations` acts on.
    package init(operations: CustomerOperations) {
        self.operations = operations
    }

    var model: Model { operations.config.model }
    var store: any CustomerStore { operations.store }

    /// The keys a stored record keeps besides its fields.
    static let systemKeys = [
        "id", "kind", "customer", "within", "created_at", "created_by", "modified_at", "modified_by",
    ]

    /// The kind of that name.
    package func kind(named name: String) throws(OperationError) -> RelatedKind {
        guard let kind = model.relatedKind(name) else {
            let known = model.related.map(\.id)
            throw .invalid([
                known.isEmpty
                    ? "there is no related kind '\(name)': the config declares none (related: in the config)"
                    : "there is no related kind '\(name)'\(Suggestion.hint(name, in: known, listing: "related kinds"))"
            ])
        }
        return kind
    }

    /// The kind whose numbering gives `id` (numberings never meet, so there is one at most).
    func kind(ofId id: String) -> RelatedKind? { Self.kind(ofId: id, in: model) }

    /// The kind of `model` whose numbering gives `id`.
    package static func kind(ofId id: String, in model: Model) -> RelatedKind? {
        model.related.first { kind in
            id.hasPrefix(kind.numbering.prefix)
                && id.dropFirst(kind.numbering.prefix.count).allSatisfy { $0.isASCII && $0.isNumber }
                && id.count > kind.numbering.prefix.count
        }
    }

    /// What a front end hears about a record that does not exist, or whose customer the user may not view.
    static func noRecord(_ id: String) -> OperationError { .notFound("there is no record '\(id)'") }

    /// A stored record and its kind; one that does not exist is `noRecord`.
    func stored(_ id: String) throws(OperationError) -> (kind: RelatedKind, document: JSONValue) {
        guard let kind = kind(ofId: id) else { throw Self.noRecord(id) }
        let document: JSONValue?
        do { document = try store.record(kind: kind.id, id: id) } catch { throw .store(error) }
        guard let document else { throw Self.noRecord(id) }
        return (kind, document)
    }

    /// The stored record `id` and its customer, as `user` may know them: a record whose
    /// customer they may not view does not exist for them, whatever else they may do to
    /// the customer, refused where a record that does not exist is. (The caller then
    /// checks the action.)
    func existing(_ id: String, as user: Int) throws(OperationError) -> (
        kind: RelatedKind, document: JSONValue, customer: CustomerTable
    ) {
        let (kind, document) = try stored(id)
        guard let customer = document["customer"]?.stringValue else { throw Self.noRecord(id) }
        let table: CustomerTable
        do { table = try operations.existing(customer, as: user, for: .view).table } catch {
            if case .notFound = error { throw Self.noRecord(id) }
            throw error
        }
        return (kind, document, table)
    }

    /// Refuses unless `user` may take `action` on the record's customer (`access: inherit`).
    func refuseUnless(_ user: Int, _ action: Action, _ customer: CustomerTable, what: String) throws(OperationError) {
        try operations.refuseUnless(user, action, customer, what: what)
    }

    // MARK: - Operations

    /// Adds a record of `kind` to `customer` (within the record `within` when the kind
    /// says so), owned by its customer: it needs `edit` on the customer.
    package func add(
        as actor: String, kind name: String, customer: String, within: String? = nil,
        assignments: [(String, FieldInput)], time: String
    ) throws(OperationError) -> String {
        let u = try operations.user(actor)
        let kind = try kind(named: name)
        // A customer the user may not view has no records for them to add to.
        let (parent, table) = try operations.existing(customer, as: u, for: .view)
        try refuseUnless(u, .edit, table, what: "add \(kind.id) to \(customer)")
        let parentTeam = parent[StoredKey.team.name]?.stringValue
        guard parentTeam == kind.team else {
            throw .invalid([
                "\(kind.subject) belongs to customers of team '\(kind.team)'; \(customer) is of team '\(parentTeam ?? "?")'"
            ])
        }
        let parentTable = parent[StoredKey.table.name]?.stringValue.flatMap(TableKind.init(rawValue:))
        guard let parentTable, kind.accepts(parent: parentTable) else {
            throw .invalid([
                "\(kind.subject) belongs to customers of the \(kind.parents.map(\.rawValue).joined(separator: " or ")) table; \(customer) is of the \(parentTable?.rawValue ?? "?") table"
            ])
        }
        let outer = try outerRecord(kind, within: within, customer: customer)
        var values = try operations.values(assignments, fields: kind.fields, place: kind.subject)
        // The fields left out take their defaults, as a customer's do.
        for field in kind.fields {
            guard let value = field.defaultValue, !assignments.contains(where: { field.identities.contains($0.0) })
            else { continue }
            values.append((field.identity, value))
        }
        let id = nextId(kind)
        var members: [(String, JSONValue)] = [
            ("id", .string(id)), ("kind", .string(kind.id)), ("customer", .string(customer)),
        ]
        if let outer { members.append(("within", .string(outer))) }
        members += [
            ("created_at", .string(time)), ("created_by", .string(actor)), ("modified_at", .string(time)),
            ("modified_by", .string(actor)), ("fields", .object(values.filter { !$0.1.isNull })),
        ]
        let document = JSONValue.object(members)
        try validate(document, kind)
        do {
            try store.commit([
                .putRecord(kind: kind.id, id: id, document: document),
                logEntry(
                    "record_add", actor: actor, time: time, customer: customer, kind: kind.id, id: id,
                    changes: values.filter { !$0.1.isNull }.map { ($0.0, .null, $0.1) }),
            ])
        } catch { throw .store(error) }
        return id
    }

    /// The record a record of `kind` is within: required when the kind says so, of the
    /// outer kind and of the same customer; nil when the kind is within none.
    private func outerRecord(_ kind: RelatedKind, within: String?, customer: String) throws(OperationError) -> String? {
        guard let outerKind = kind.within else {
            if within != nil { throw .invalid(["\(kind.subject) is within no other kind: leave out --within"]) }
            return nil
        }
        guard let within else {
            throw .invalid([
                "a record of \(kind.subject) is within a record of '\(outerKind)' of the same customer: give --within ID"
            ])
        }
        let document: JSONValue?
        do { document = try store.record(kind: outerKind, id: within) } catch { throw .store(error) }
        guard let document, document["customer"]?.stringValue == customer else {
            throw .invalid(["\(customer) has no record '\(within)' of '\(outerKind)'"])
        }
        return within
    }

    /// The next number of `kind`: after the highest in use, deleted records' included.
    func nextId(_ kind: RelatedKind) -> String {
        var n = store.highestNumber(prefix: kind.numbering.prefix) + 1
        while store.isRecordTaken(kind: kind.id, id: kind.numbering.format(n)) { n += 1 }
        return kind.numbering.format(n)
    }

    /// Refuses a record whose fields the kind does not allow: every problem, with its field.
    func validate(_ document: JSONValue, _ kind: RelatedKind) throws(OperationError) {
        guard let validator = operations.config.records.kinds[kind.id] else {
            throw .invalid(["\(kind.subject) is not in the applied config"])
        }
        let problems = validator.problems(inFields: document["fields"] ?? .object([]))
        if !problems.isEmpty { throw .invalid(problems.map(\.description)) }
    }

    func logEntry(
        _ type: String, actor: String, time: String, customer: String, kind: String, id: String,
        changes: [(String, JSONValue, JSONValue)], document: JSONValue? = nil
    ) -> StoreOperation {
        operations.logEntry(
            type, actor: actor, time: time, customers: [customer], changes: changes, document: document,
            extra: [("record", .object([("kind", .string(kind)), ("id", .string(id))]))])
    }

    /// The record as `actor` may see it: any record of a customer they may view.
    package func show(as actor: String, id: String) throws(OperationError) -> JSONValue {
        let u = try operations.user(actor)
        return try existing(id, as: u).document
    }

    /// Changes fields of a record (FIELD=VALUE; an empty value clears): it needs `edit`
    /// on its customer. Returns the fields it changed.
    @discardableResult
    package func edit(as actor: String, id: String, assignments: [(String, FieldInput)], time: String)
        throws(OperationError) -> [String]
    {
        let u = try operations.user(actor)
        let (kind, document, table) = try existing(id, as: u)
        guard let customer = document["customer"]?.stringValue else { throw Self.noRecord(id) }
        try refuseUnless(u, .edit, table, what: "edit \(id) of \(customer)")
        let newValues = try operations.values(assignments, fields: kind.fields, place: kind.subject)
        guard case .object(var members) = document, let k = members.firstIndex(where: { $0.0 == "fields" }),
            case .object(var fields) = members[k].1
        else { throw .invalid(["record '\(id)' is not a valid document"]) }
        let changes = CustomerOperations.set(newValues, in: &fields)
        guard !changes.isEmpty else { return [] }
        members[k].1 = .object(fields)
        for (key, value) in [("modified_at", time), ("modified_by", actor)] {
            if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = .string(value) }
        }
        let updated = JSONValue.object(members)
        try validate(updated, kind)
        do {
            try store.commit([
                .putRecord(kind: kind.id, id: id, document: updated),
                logEntry(
                    "record_edit", actor: actor, time: time, customer: customer, kind: kind.id, id: id, changes: changes
                ),
            ])
        } catch { throw .store(error) }
        return changes.map(\.0)
    }

    /// Deletes a record: it needs `delete` on its customer. The log keeps the document.
    /// A record that others are within (a site with assets) is refused while they exist.
    package func delete(as actor: String, id: String, time: String) throws(OperationError) {
        let u = try operations.user(actor)
        let (kind, document, table) = try existing(id, as: u)
        guard let customer = document["customer"]?.stringValue else { throw Self.noRecord(id) }
        try refuseUnless(u, .delete, table, what: "delete \(id) of \(customer)")
        let inner = try records(of: customer).filter { $0.document["within"]?.stringValue == id }
        if !inner.isEmpty {
            throw .conflict([
                "\(id) has \(Self.counted(inner)) within it: delete \(inner.count == 1 ? "it" : "them") first"
            ])
        }
        do {
            try store.commit([
                .deleteRecord(kind: kind.id, id: id),
                logEntry(
                    "record_delete", actor: actor, time: time, customer: customer, kind: kind.id, id: id, changes: [],
                    document: document),
            ])
        } catch { throw .store(error) }
    }

    /// The records of a customer the user may view, of `kind` (every kind when nil), by number.
    package func list(as actor: String, kind name: String?, customer: String) throws(OperationError) -> [JSONValue] {
        let u = try operations.user(actor)
        var kindId: String?
        if let name { kindId = try kind(named: name).id }
        _ = try operations.existing(customer, as: u, for: .view)
        return try records(of: customer, kind: kindId).map(\.document)
    }

    /// A stored record of a customer: its kind and document.
    package struct Found: Sendable {
        package var kind: String
        package var id: String
        package var document: JSONValue
    }

    /// Every stored record of `customer` (of `kind` when given), by kind and number.
    package func records(of customer: String, kind: String? = nil) throws(OperationError) -> [Found] {
        var found: [Found] = []
        let needle = Array(("\"customer\":" + JSONValue.string(customer).jsonText).utf8)
        do {
            try store.forEachRecord(kind: kind) { kind, id, bytes in
                // Only the documents that name the customer are parsed.
                guard ByteSearch.contains(bytes, needle),
                    let document = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)),
                    document["customer"]?.stringValue == customer
                else { return }
                found.append(Found(kind: kind, id: id, document: document))
            }
        } catch { throw .store(error) }
        let order = model.related.map(\.id)
        return found.sorted {
            let (a, b) = (order.firstIndex(of: $0.kind) ?? 0, order.firstIndex(of: $1.kind) ?? 0)
            return a != b ? a < b : CustomerListing.numberOrder($0.id, $1.id)
        }
    }

    /// How many records of each kind `customer` has, in the config's order (kinds with none left out).
    package func counts(of customer: String) throws(OperationError) -> [(kind: String, count: Int)] {
        let found = try records(of: customer)
        return model.related.map(\.id).compactMap { kind in
            let n = found.filter { $0.kind == kind }.count
            return n == 0 ? nil : (kind, n)
        }
    }

    /// "2 contacts and 1 order"-like: "2 records of 'contacts', 1 of 'orders'".
    static func counted(_ found: [Found]) -> String {
        var counts: [(String, Int)] = []
        for record in found {
            if let k = counts.firstIndex(where: { $0.0 == record.kind }) {
                counts[k].1 += 1
            } else {
                counts.append((record.kind, 1))
            }
        }
        return counts.enumerated().map { n, entry in
            n == 0
                ? "\(entry.1) \(entry.1 == 1 ? "record" : "records") of '\(entry.0)'" : "\(entry.1) of '\(entry.0)'"
        }.joined(separator: ", ")
    }
}
