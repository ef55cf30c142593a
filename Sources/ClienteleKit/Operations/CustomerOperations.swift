import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// Why an operation did not happen: the rules refused it (exit 3), the input is
/// invalid (exit 1), or the store failed (exit 1). Nothing is stored in any case.
package enum OperationError: Error, Sendable, CustomStringConvertible {
    /// The rules do not allow it; the reason names nothing the user may not see.
    case refused(String)
    /// The input is wrong: one message per problem.
    case invalid([String])
    /// There is no such customer, or none the user may view (the two are never told apart).
    case notFound(String)
    /// The request is well formed but the customer's state stands against it (a unique
    /// value already held, a customer already in a pool or in none): one message per problem.
    case conflict([String])
    /// The store could not do it.
    case store(StoreError)
    /// A config does not compile: its diagnostics, and the files they point into.
    case config([Diagnostic], SourceFiles)

    package var description: String {
        switch self {
        case .refused(let why): return why
        case .invalid(let problems), .conflict(let problems): return problems.joined(separator: "\n")
        case .notFound(let message): return message
        case .store(let error): return error.message
        case .config(let diagnostics, _):
            return diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n")
        }
    }
}

/// A value given for a field: text as the command line and CSV give it (typed by
/// the field, "" clears), or a JSON value as the service receives it (a JSON text
/// is typed as text is; `null` clears).
package enum FieldInput: Sendable, Equatable {
    case text(String)
    case value(JSONValue)

    /// The value as text, when it is text (or `null`, which is "").
    package var text: String? {
        switch self {
        case .text(let text), .value(.string(let text)): return text
        case .value(.null): return ""
        case .value: return nil
        }
    }
}

/// The customer operations, each checked by the access rules and the field rules,
/// validated, and logged in the same batch as the change it records.
package struct CustomerOperations {
    package let config: CompiledConfig
    package let store: any CustomerStore
    /// The config version the store applied, named in every log entry.
    let configVersion: Int
    /// How values of unique fields are compared (made once, not per document).
    let unique: UniqueKeys
    /// Whether a customer the acting user may not view is one that does not exist to
    /// every operation (the service's contract: 404 for whatever it would be asked to do),
    /// rather than only to a user who may not take the action either (the command line,
    /// where a rule may let a user act on a customer they may not view).
    package var unviewableIsMissing = false
    /// The time the rules are decided at (`now`, `days_since`): the command's, or the
    /// current time of each write in a process that stays up.
    package var now: Double

    package init(config: CompiledConfig, store: any CustomerStore, now: Double = Timestamp.processStart) {
        self.config = config
        self.store = store
        self.now = now
        configVersion = store.version?.number ?? 0
        unique = UniqueKeys(records: config.records, duplicates: config.model.duplicates)
    }

    var policy: AccessPolicy { config.access }

    static let systemAssignments = StoredKey.assignable.map(\.name)
    static let storeKept = StoredKey.storeKept.map(\.name)

    /// The keys of a stored document that are not fields (shown to whoever may view it).
    static let documentKeys: Set<String> = Set(StoredKey.allCases.filter { $0 != .fields }.map(\.name))

    /// The acting user: an active user of the applied version.
    func user(_ id: String) throws(OperationError) -> Int {
        try config.actingUser(id)
    }

    /// The customer as the access engine sees it, alone in a table.
    func accessTable(_ document: JSONValue) -> CustomerTable {
        policy.customerTable(of: document)
    }

    /// Refuses unless the rules let `user` take `action`, saying why. The reason names
    /// nothing the user may not see.
    func refuseUnless(_ user: Int, _ action: Action, _ table: CustomerTable, what: String) throws(OperationError) {
        // The reasons are worked out for a refusal alone: a mass operation checks many customers.
        if policy.isAllowed(user: user, action: action, customer: 0, in: table, now: now) { return }
        let e = policy.explain(user: user, action: action, customer: 0, in: table, now: now)
        guard e.decision.allowed else {
            throw .refused("\(policy.org.userIds[user]) may not \(what): \(e.reasons.joined(separator: "; "))")
        }
    }

    /// The stored customer `id` as `user`, about to take `action`, may know it: one they
    /// may not view (nor, on the command line, take `action` on) is one that does not
    /// exist, refused at the very point where an id that does not exist is, so that
    /// nothing (which id a refusal names, which refusal comes first) tells the two apart.
    /// Returns the document with the customer as the access engine sees it.
    func existing(_ id: String, as user: Int, for action: Action) throws(OperationError) -> (
        document: JSONValue, table: CustomerTable
    ) {
        let document = try existing(id)
        let table = accessTable(document)
        guard
            policy.isAllowed(user: user, action: .view, customer: 0, in: table, now: now)
                || (!unviewableIsMissing
                    && policy.isAllowed(user: user, action: action, customer: 0, in: table, now: now))
        else { throw Self.noCustomer(id) }
        return (document, table)
    }

    /// Whether the user may view the stored customer `id` (or, where an action reaches
    /// what one may not view, take some action on it): what an answer may name.
    func mayView(_ user: Int, _ id: String) -> Bool {
        (try? existing(id, as: user, for: .edit)) != nil
    }

    /// Whether the user may view the stored customer `id` and read its `field` unmasked.
    func readsUnmasked(_ user: Int, _ field: String, of id: String) -> Bool {
        guard let document = try? existing(id), case let table = accessTable(document),
            policy.isAllowed(user: user, action: .view, customer: 0, in: table, now: now)
        else { return false }
        let access = fieldAccess(user: user, customer: 0, in: table)
        return access.canRead(field) && access.masks[field] == nil
    }

    /// What a front end hears about a customer that does not exist, or that the user may not view.
    static func noCustomer(_ id: String) -> OperationError { .notFound("there is no customer '\(id)'") }

    /// Validates a document in the import shape; every problem, with its column. Unique
    /// values held by `leaving` (customers the same batch deletes) are free.
    func validate(_ document: JSONValue, leaving: Set<String> = []) throws(OperationError) {
        var importShape = document
        if case .object(let members) = document {
            importShape = .object(members.filter { !Self.storeKept.contains($0.0) })
        }
        let bytes = Array(importShape.jsonText.utf8)
        var problems: [RecordProblem] = []
        bytes.withUnsafeBufferPointer { b in
            var tape = JSONTape()
            guard (try? tape.parse(b)) != nil else { return }
            var scratch: [Int32] = []
            tape.withView(bytes: b) { _ = config.records.validate($0, scratch: &scratch, problems: &problems) }
        }
        if !problems.isEmpty { throw .invalid(problems.map(\.description)) }
        try checkUnique(document, leaving: leaving)
    }

    /// Unique fields (normalised) among the other records of the same table or package,
    /// from the store's unique values (no document is parsed but those written lately).
    func checkUnique(_ document: JSONValue, leaving: Set<String> = []) throws(OperationError) {
        guard !unique.isEmpty else { return }
        let bytes = Array(document.jsonText.utf8)
        guard let (id, claims, _) = bytes.withUnsafeBufferPointer({ unique.read($0) }), !claims.isEmpty else { return }
        let held: UniqueValues
        do { held = try store.uniqueValues(layout: unique.layout, keys: unique.keys(ofDocument:)) } catch {
            throw .store(error)
        }
        let problems = claims.filter { held.ids(holding: $0.key).contains { $0 != id && !leaving.contains($0) } }
            .compactMap { $0.heldProblem(config.records)?.description }
        if !problems.isEmpty { throw .conflict(problems) }
    }

    /// FIELD=VALUE pairs as typed field values of the customer's table or package.
    func values(_ assignments: [(String, FieldInput)], team: String, table: TableKind, package: String?)
        throws(OperationError) -> [(String, JSONValue)]
    {
        let fields = config.model.schema.fields(
            team: team, table: table, package: package, inheritance: store.version?.inheritance ?? .everything)
        return try values(
            assignments.filter { !Self.systemAssignments.contains($0.0) }, fields: fields,
            place: package.map { "package '\($0)'" } ?? "the \(table.rawValue) table of team '\(team)'")
    }

    /// FIELD=VALUE pairs as typed values of `fields` (those of `place`: "related kind 'contacts'").
    func values(_ assignments: [(String, FieldInput)], fields: [Field], place: String) throws(OperationError)
        -> [(String, JSONValue)]
    {
        var result: [(String, JSONValue)] = []
        var problems: [String] = []
        for (name, input) in assignments {
            guard let field = fields.first(where: { $0.identities.contains(name) }) else {
                problems.append(
                    "column \(name): \(place) has no field '\(name)'\(Suggestion.didYouMean(name, in: fields.flatMap(\.identities)))"
                )
                continue
            }
            var value: JSONValue
            if let text = input.text {
                let trimmed = text.trimmingWhitespace()
                value = trimmed.isEmpty ? JSONValue.null : CSVColumns.typed(text, trimmed, field.spec.base)
            } else if case .value(let typed) = input {
                value = typed
            } else {
                value = .null
            }
            // Values are stored normalised, as `normalize:` says.
            if let how = field.spec.normalize, case .string(let s) = value {
                value = .string(Normalizer.normalize(s, how))
            }
            result.append((name, value))
        }
        if !problems.isEmpty { throw .invalid(problems) }
        return result
    }

    /// Sets `values` in a document's `fields` (null clears), returning each change made
    /// (field, from, to); a value already so is no change.
    static func set(_ values: [(String, JSONValue)], in fields: inout [(String, JSONValue)]) -> [(
        String, JSONValue, JSONValue
    )] {
        var changes: [(String, JSONValue, JSONValue)] = []
        for (name, value) in values {
            let old = fields.first { $0.0 == name }?.1 ?? .null
            if old == value { continue }
            changes.append((name, old, value))
            fields.removeAll { $0.0 == name }
            if !value.isNull { fields.append((name, value)) }
        }
        return changes
    }

    /// The user a system assignment names (`account_executive=USER`); "" clears it.
    static func userAssignment(_ key: String, _ assignments: [(String, FieldInput)]) throws(OperationError) -> String? {
        guard let input = assignments.last(where: { $0.0 == key })?.1 else { return nil }
        guard let text = input.text else { throw .invalid(["column \(key): expected a user's id"]) }
        return text
    }

    func checkWritable(_ user: Int, _ fields: [String], _ table: CustomerTable) throws(OperationError) {
        let access = policy.fieldAccess(user: user, customer: 0, in: table, now: now)
        let readOnly = fields.filter { !access.canWrite($0) }
        if !readOnly.isEmpty {
            throw .refused(
                "\(policy.org.userIds[user]) may not change \(readOnly.map { "'\($0)'" }.joined(separator: ", ")): the field rules make \(readOnly.count == 1 ? "it" : "them") read-only for them"
            )
        }
    }

    func logEntry(
        _ type: String, actor: String, time: String, customers: [String], changes: [(String, JSONValue, JSONValue)],
        reason: String? = nil, document: JSONValue? = nil, extra: [(String, JSONValue)] = []
    ) -> StoreOperation {
        var members: [(String, JSONValue)] = [
            ("time", .string(time)), ("actor", .string(actor)), ("type", .string(type)),
            ("customers", .array(customers.map(JSONValue.string))),
            ("changes", .array(changes.map { .object([("field", .string($0.0)), ("from", $0.1), ("to", $0.2)]) })),
            ("reason", reason.map(JSONValue.string) ?? .null), ("config_version", .number(String(configVersion))),
        ]
        // A deletion keeps the document as it last stood: who may read its history is decided on it.
        if let document { members.append(("document", document)) }
        return .log(entry: .object(members + extra))
    }

    // MARK: - Operations

    /// A stored new customer's id, and the stored customers it may duplicate (the
    /// matching rules that warn).
    package struct Added: Sendable {
        package var id: String
        package var duplicates: [DuplicateMatch]
    }

    /// Adds a customer owned by `actor` (or by the `account_executive` given, which needs
    /// `assign`). A matching rule that refuses new customers like stored ones refuses it.
    package func add(
        as actor: String, team: String?, table: TableKind, package: String?, assignments: [(String, FieldInput)],
        time: String
    ) throws(OperationError) -> Added {
        let id = store.nextId(config.model.schema.numbering(for: table))
        let (document, changes) = try added(
            as: actor, id: id, team: team, table: table, package: package, assignments: assignments, time: time)
        var duplicates: [DuplicateMatch] = []
        if let check = try DuplicateCheck(operations: self, user: try user(actor)) {
            let bytes = Array(document.jsonText.utf8)
            duplicates = try bytes.withUnsafeBufferPointer { (b) throws(OperationError) in try check.check(b) }.matches
            let refusals = duplicates.filter(\.refuses)
            if !refusals.isEmpty {
                throw .conflict(refusals.map { RecordProblem(column: $0.field, message: $0.message).description })
            }
        }
        do {
            try store.commit([
                .put(id: id, document: document),
                logEntry("create", actor: actor, time: time, customers: [id], changes: changes),
            ])
        } catch { throw .store(error) }
        return Added(id: id, duplicates: duplicates)
    }

    /// The customer `add` would store as `id`, checked (by `action`: `create`, or `import`
    /// for a row of a file) and validated, with its changes; nothing is stored.
    func added(
        as actor: String, id: String, team: String?, table: TableKind, package: String?,
        assignments: [(String, FieldInput)], time: String, action: Action = .create
    ) throws(OperationError) -> (JSONValue, [(String, JSONValue, JSONValue)]) {
        let u = try user(actor)
        let org = config.model.organization
        var teamId = team ?? package.flatMap { config.model.schema.package($0)?.team }
        if teamId == nil {
            let mine = org.users[u].teams
            if mine.count == 1 { teamId = mine[0] } else if org.teams.count == 1 { teamId = org.teams[0].id }
        }
        guard let teamId else { throw .invalid(["give --team: \(actor) belongs to several teams (or none)"]) }
        let owner = try Self.userAssignment("account_executive", assignments) ?? actor
        let rep = try Self.userAssignment("customer_service_rep", assignments)
        var fieldValues = try values(assignments, team: teamId, table: table, package: package)
        let given = fieldValues.map(\.0)
        // The fields left out take their defaults, as in an import.
        let fields = config.model.schema.fields(
            team: teamId, table: table, package: package, inheritance: store.version?.inheritance ?? .everything)
        for field in fields {
            guard let value = field.defaultValue, !assignments.contains(where: { field.identities.contains($0.0) })
            else { continue }
            fieldValues.append((field.identity, value))
        }
        let document: JSONValue = .object([
            ("id", .string(id)), (StoredKey.team.name, .string(teamId)),
            (StoredKey.table.name, .string(table.rawValue)),
            ("package", package.map(JSONValue.string) ?? .null),
            ("account_executive", .string(owner)),
            (StoredKey.customerServiceRep.name, rep.map(JSONValue.string) ?? .null),
            ("shared", .object([("users", .array([])), ("departments", .array([])), ("roles", .array([]))])),
            ("tags", .array([])), (StoredKey.followers.name, .array([])), (StoredKey.pool.name, .null),
            ("created_at", .string(time)), (StoredKey.createdBy.name, .string(actor)),
            (StoredKey.modifiedAt.name, .string(time)), (StoredKey.modifiedBy.name, .string(actor)),
            ("fields", .object(fieldValues.filter { !$0.1.isNull })),
        ])
        // The rules first: a refused user learns nothing of the values other customers hold.
        let table = accessTable(document)
        try refuseUnless(
            u, action, table,
            what: action == .create ? "create customers in team '\(teamId)'" : "\(action.rawValue) this customer")
        if owner != actor { try refuseUnless(u, .assign, table, what: "name another account executive") }
        if let rep, rep != actor { try refuseUnless(u, .assign, table, what: "name another service representative") }
        try checkWritable(u, given, table)
        try validate(document)
        return (document, fieldValues.map { ($0.0, .null, $0.1) })
    }

    func existing(_ id: String) throws(OperationError) -> JSONValue {
        let document: JSONValue?
        do { document = try store.document(id) } catch { throw .store(error) }
        guard let document else { throw Self.noCustomer(id) }
        return document
    }

    /// The customer as `actor` may see it: unreadable fields left out, masked ones masked.
    package func show(as actor: String, id: String) throws(OperationError) -> JSONValue {
        let u = try user(actor)
        let (document, table) = try existing(id, as: u, for: .view)
        return masked(document, fieldAccess(user: u, customer: 0, in: table))
    }

    /// Changes fields (FIELD=VALUE; an empty value clears), logged with each change.
    /// Returns the fields (and assignments) it changed.
    @discardableResult
    package func edit(
        as actor: String, id: String, assignments: [(String, FieldInput)], time: String, view: View? = nil
    )
        throws(OperationError) -> [String]
    {
        guard let (updated, changes) = try edited(as: actor, id: id, assignments: assignments, time: time, view: view)
        else { return [] }
        do {
            try store.commit([
                .put(id: id, document: updated),
                logEntry("edit", actor: actor, time: time, customers: [id], changes: changes),
            ])
        } catch { throw .store(error) }
        return changes.map(\.0)
    }

    /// Edits several customers in one batch, all or none: each checked and validated as
    /// `edit` checks one, each logged as an edit of its own. Returns, per customer
    /// changed, the fields it changed.
    package func editMany(
        as actor: String, ids: [String], assignments: [(String, FieldInput)], time: String
    ) throws(OperationError) -> [(id: String, fields: [String])] {
        guard !ids.isEmpty else { throw .invalid(["name at least one customer to edit"]) }
        var operations: [StoreOperation] = []
        var changed: [(id: String, fields: [String])] = []
        var claimed = UniqueClaims()
        let several = ids.count > 1
        for id in Self.distinct(ids) {
            let result: (JSONValue, [(String, JSONValue, JSONValue)])?
            do {
                result = try edited(as: actor, id: id, assignments: assignments, time: time)
                if let (updated, _) = result { try claimed.claim(updated, id: id, unique: unique, what: id) }
            } catch {
                // Among many customers, say which one.
                switch error {
                case .invalid(let problems) where several: throw .invalid(problems.map { "\(id): \($0)" })
                case .conflict(let problems) where several: throw .conflict(problems.map { "\(id): \($0)" })
                default: throw error
                }
            }
            guard let (updated, changes) = result else { continue }
            operations.append(.put(id: id, document: updated))
            operations.append(logEntry("edit", actor: actor, time: time, customers: [id], changes: changes))
            changed.append((id, changes.map(\.0)))
        }
        guard !operations.isEmpty else { return [] }
        do { try store.commit(operations) } catch { throw .store(error) }
        return changed
    }

    /// The customer as an edit leaves it, checked, validated and with its changes; nil
    /// when nothing changes.
    func edited(
        as actor: String, id: String, assignments: [(String, FieldInput)], time: String, view: View? = nil
    ) throws(OperationError) -> (JSONValue, [(String, JSONValue, JSONValue)])? {
        let u = try user(actor)
        if let view, view.module == .campaign {
            let others = assignments.map(\.0).filter { !view.agentFields.contains($0) }
            if !others.isEmpty {
                throw .refused(
                    "the campaign view '\(view.id)' lets agents change only \(view.agentFields.joined(separator: ", ")); \(others.joined(separator: ", ")) \(others.count == 1 ? "is" : "are") shown read-only"
                )
            }
        }
        let (document, accessTable) = try existing(id, as: u, for: .edit)
        guard case .object(var members) = document, let team = document[StoredKey.team.name]?.stringValue,
            let table = document[StoredKey.table.name]?.stringValue.flatMap(TableKind.init(rawValue:))
        else { throw .invalid(["customer '\(id)' is not a valid document"]) }
        try refuseUnless(u, .edit, accessTable, what: "edit \(id)")
        let newValues = try values(
            assignments, team: team, table: table, package: document[StoredKey.package.name]?.stringValue)
        // Out of sight is out of reach: an edit would tell whether the value was already so.
        let hidden = hiddenFields(team: team, table: table, package: document[StoredKey.package.name]?.stringValue)
        if let name = newValues.map(\.0).first(where: hidden.contains) {
            throw .refused("the schema hides '\(name)' (hidden: true): nobody edits it; an import may give it")
        }
        try checkWritable(u, newValues.map(\.0), accessTable)
        guard let k = members.firstIndex(where: { $0.0 == "fields" }), case .object(var fields) = members[k].1 else {
            throw .invalid(["customer '\(id)' has no fields"])
        }
        var changes: [(String, JSONValue, JSONValue)] = []
        // The account executive and the service representative change hands through `assign`.
        for key in Self.systemAssignments {
            guard let text = try Self.userAssignment(key, assignments) else { continue }
            let value: JSONValue = text.isEmpty ? .null : .string(text)
            if value.isNull && key == "account_executive" {
                throw .invalid([
                    "a customer without an account executive sits in a pool: 'clientele pool return \(id)' puts it there"
                ])
            }
            let i = members.firstIndex { $0.0 == key }
            let old = i.map { members[$0].1 } ?? .null
            guard old != value else { continue }
            if case .string(let named) = value { _ = try user(named) }
            // A customer in a pool gets an owner from the pool, which empties `pool` and logs the assignment.
            // (A pool the config no longer has cannot assign: the new owner takes the customer out of it.)
            if key == StoredKey.accountExecutive.name, case .string(let pool)? = document[StoredKey.pool.name],
                case .string(let owner) = value
            {
                if config.model.pools.contains(where: { $0.id == pool }) {
                    throw .invalid([
                        "\(id) sits in pool '\(pool)': 'clientele pool assign \(id) --to \(owner)' gives it an owner"
                    ])
                }
                if let p = members.firstIndex(where: { $0.0 == StoredKey.pool.name }) { members[p].1 = .null }
                changes.append((StoredKey.pool.name, .string(pool), .null))
            }
            try refuseUnless(
                u, .assign, accessTable,
                what:
                    "change the \(key == "account_executive" ? "account executive" : "service representative") of \(id)"
            )
            changes.append((key, old, value))
            if let i { members[i].1 = value } else { members.append((key, value)) }
        }
        changes += Self.set(newValues, in: &fields)
        guard !changes.isEmpty else { return nil }
        members[k].1 = .object(fields)
        for key in ["modified_at", "modified_by"] {
            if let i = members.firstIndex(where: { $0.0 == key }) {
                members[i].1 = .string(key == "modified_at" ? time : actor)
            }
        }
        let updated = JSONValue.object(members)
        try validate(updated)
        return (updated, changes)
    }

    /// Deletes a customer (to the bin: the log keeps its document). A customer with
    /// related records is refused, unless `cascade`: then its records are deleted in the
    /// same batch, each logged with its document and all kept in a backup first.
    /// Returns where the backup is, when there was one.
    @discardableResult
    package func delete(as actor: String, id: String, time: String, cascade: Bool = false) throws(OperationError)
        -> String?
    {
        let u = try user(actor)
        let (document, table) = try existing(id, as: u, for: .delete)
        try refuseUnless(u, .delete, table, what: "delete \(id)")
        let related = RelatedRecords(operations: self)
        let records = store.recordCount > 0 ? try related.records(of: id) : []
        var operations: [StoreOperation] = []
        var backup: String?
        if !records.isEmpty {
            guard cascade else {
                // Only a user who may view the customer learns what its records are.
                let what =
                    policy.isAllowed(user: u, action: .view, customer: 0, in: table, now: now)
                    ? RelatedRecords.counted(records) : "related records"
                throw .conflict([
                    "\(id) has \(what): delete them first, or give --cascade to delete them with it (kept in a backup)"
                ])
            }
            let lines = records.map { $0.document.jsonText + "\n" }.joined()
            // Named by the time and the batch about to be written: never the name of another backup.
            let stamp = time.filter { $0.isNumber }
            do {
                backup = try store.saveBackup("delete-\(id)-\(stamp)-\(store.end.batch + 1).jsonl", text: lines)
            } catch {
                throw .store(error)
            }
            // Records of a kind the config no longer has go too: none may outlive its customer.
            for record in records {
                operations.append(.deleteRecord(kind: record.kind, id: record.id))
                operations.append(
                    related.logEntry(
                        "record_delete", actor: actor, time: time, customer: id, kind: record.kind, id: record.id,
                        changes: [], document: record.document))
            }
        }
        do {
            try store.commit(
                operations + [
                    .delete(id: id),
                    logEntry("delete", actor: actor, time: time, customers: [id], changes: [], document: document),
                ])
        } catch { throw .store(error) }
        return backup
    }
}
