import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// `import FILE --update`: each row matched to a stored customer (by its id, or by the
/// value of a unique field) changes the fields it gives, checked and logged as an edit;
/// a row that matches none is added, checked by `import`. One batch, all or nothing
/// (or, with a rejects file, all the accepted rows).
package struct CustomerUpsert {
    package let operations: CustomerOperations

    package init(config: CompiledConfig, store: any CustomerStore, now: Double = Timestamp.processStart) {
        operations = CustomerOperations(config: config, store: store, now: now)
    }

    package struct Outcome: Sendable {
        package var rows = 0
        package var inserted: [String] = []
        package var updated: [String] = []
        package var unchanged: [String] = []
        package var rejected: [RejectedRow] = []
        /// Rows the access rules refused (also in `rejected`).
        package var refusedByRules = 0
        /// Whether the batch was stored (not a dry run, nor refused for a row).
        package var stored = false
        /// Inserted rows a matching rule that warns finds alike stored customers or
        /// earlier rows, by line.
        package var duplicates: [(line: Int, id: String, match: DuplicateMatch)] = []

        package var report: ImportReport { ImportReport(rows: rows, rejected: rejected) }

        /// `{"rows","inserted","updated","unchanged","refused":[...]}` (each count; the
        /// refused rows as a dry run of `import` shows them).
        package var json: JSONValue {
            .object([
                ("rows", .number(String(rows))), ("inserted", .number(String(inserted.count))),
                ("updated", .number(String(updated.count))), ("unchanged", .number(String(unchanged.count))),
                ("refused", ImportReportRenderer.json(report)["refused"] ?? .array([])),
                ("stored", .bool(stored)),
                (
                    "duplicates",
                    .array(
                        duplicates.map { d in
                            .object([("row", .number(String(d.line))), ("id", .string(d.id))] + d.match.members)
                        })
                ),
            ])
        }

        /// The refused rows, one line per problem, then the counts (of what would have
        /// been done, when nothing was stored).
        package var text: String {
            var lines = ImportReportRenderer.text(report).split(separator: "\n", omittingEmptySubsequences: false)
            lines.removeLast(2)
            let verb = stored || inserted.count + updated.count == 0 ? "" : "would be "
            return lines.map { $0 + "\n" }.joined()
                + "\(rows) \(rows == 1 ? "row" : "rows"): \(inserted.count) \(verb)inserted, \(updated.count) \(verb)updated, \(unchanged.count) unchanged, \(rejected.count) refused\n"
        }
    }

    /// One row of the file: its record (as `import` reads it) and, for a CSV file, the
    /// header's name of each field.
    struct Row {
        var line: Int
        var record: JSONValue
        /// What makes a line unreadable (as `import` refuses it): the row is refused.
        var problem: RecordProblem?
    }

    /// `match`: the identity of a unique field rows are matched by when they give no
    /// stored id. `dryRun`: every check, nothing stored.
    package func run(
        _ bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat, defaults: RecordValidator.Defaults, actor: String,
        match: String?, time: String, source: String, keepRejected: Bool, dryRun: Bool
    ) throws -> Outcome {
        let (rows, columnNames) = try Self.rows(
            bytes, format: format, records: operations.config.records, defaults: defaults)
        let matcher = try match.map { field throws(ImportFileError) in try Matcher(field, operations, defaults) }
        var outcome = Outcome()
        outcome.rows = rows.count
        var operationsToCommit: [StoreOperation] = []
        var inserted: [String] = []
        var insertedIds: Set<String> = []
        var numbers: [String: Int] = [:]
        // Two rows may not take one unique value, nor change one customer.
        var claimed = UniqueClaims()
        var changedBy: [String: Int] = [:]
        let u = try operations.user(actor)
        // A new customer is compared with the stored ones and the rows inserted before it.
        let matching = try DuplicateCheck(operations: operations, user: u)
        for row in rows {
            func reject(_ id: String?, _ error: OperationError) {
                if case .refused = error { outcome.refusedByRules += 1 }
                outcome.rejected.append(
                    RejectedRow(line: row.line, id: id, problems: Self.problems(error, columnNames: columnNames)))
            }
            if let problem = row.problem {
                outcome.rejected.append(RejectedRow(line: row.line, id: nil, problems: [problem]))
                continue
            }
            let given = row.record["id"]?.stringValue
            var target: String?
            // What the row is told of a customer the user may not view (which `edit` finds
            // missing): as in a plain import, an id taken or a value in use, nothing more.
            var hidden: (id: String?, message: String) = (nil, "")
            do throws(OperationError) {
                if let given, operations.store.contains(given) {
                    target = given
                    hidden = (given, "column id: id '\(given)' is taken in the store")
                } else if let matcher, let found = try matcher.id(of: row.record) {
                    // A value the user may not read unmasked on that customer matches nothing they may know
                    // of: it is a value in use, as in a plain import, and never names the customer.
                    guard operations.readsUnmasked(u, matcher.field, of: found) else {
                        throw OperationError.conflict(["column \(matcher.field): the value is already in use"])
                    }
                    target = found
                    hidden = (nil, "column \(matcher.field): the value is already in use")
                    if let given {
                        throw OperationError.invalid([
                            operations.mayView(u, found)
                                ? "column id: '\(given)' is no stored customer, but the row's \(matcher.field) matches \(found)"
                                : "column \(matcher.field): the value is already in use"
                        ])
                    }
                }
            } catch {
                reject(given, error)
                continue
            }
            let assignments = Self.assignments(row.record, adding: target == nil)
            if let id = target {
                do throws(OperationError) {
                    let edit = try operations.edited(as: actor, id: id, assignments: assignments, time: time)
                    if let earlier = changedBy[id] {
                        throw .invalid(["the row changes \(id), which row \(earlier) changes: one row per customer"])
                    }
                    changedBy[id] = row.line
                    let stored = try operations.existing(id)
                    // A CSV row's place is --team and --table: only a JSON line says where it is.
                    if format == .jsonLines { try Self.refuseMoves(row.record, stored: stored, id: id) }
                    if row.record["tags"] != nil || row.record["shared"] != nil {
                        try Self.refuseTagsAndShares(row.record, stored: stored)
                    }
                    guard let (document, changes) = edit else {
                        outcome.unchanged.append(id)
                        continue
                    }
                    try claimed.claim(document, id: id, unique: operations.unique, what: "row \(row.line)")
                    // A row added after it is compared with its new values too.
                    if let matching {
                        Array(document.jsonText.utf8).withUnsafeBufferPointer { matching.remember($0, row: row.line) }
                    }
                    operationsToCommit.append(.put(id: id, document: document))
                    operationsToCommit.append(
                        operations.logEntry(
                            "edit", actor: actor, time: time, customers: [id], changes: changes, reason: source))
                    outcome.updated.append(id)
                } catch {
                    if case .notFound = error {
                        reject(hidden.id, .conflict([hidden.message]))
                    } else {
                        reject(id, error)
                    }
                }
                continue
            }
            do throws(OperationError) {
                try Self.refuseTagsAndShares(row.record, stored: nil)
                let place = Self.place(row.record, defaults)
                guard let table = place.table else {
                    throw OperationError.invalid(["the row does not say which table it fills; give --table"])
                }
                let id: String
                if let given { id = given } else { id = try nextNumber(table, &numbers, taken: insertedIds) }
                if given != nil, operations.store.isTaken(id) {
                    throw OperationError.conflict(["column id: id '\(id)' is taken in the store"])
                }
                if given != nil, let kind = RelatedRecords.kind(ofId: id, in: operations.config.model) {
                    throw OperationError.invalid([
                        "column id: id '\(id)' is numbered as a record of \(kind.subject), not a customer"
                    ])
                }
                if given != nil, insertedIds.contains(id) {
                    throw OperationError.conflict(["column id: id '\(id)' is already used by an earlier row"])
                }
                let (document, _) = try operations.added(
                    as: actor, id: id, team: place.team, table: table, package: place.package,
                    assignments: assignments, time: time, action: .import)
                // Matched before its unique values are claimed: a refused row takes nothing from the rows after it.
                var checked = DuplicateCheck.Checked()
                if let matching {
                    let bytes = Array(document.jsonText.utf8)
                    checked = try bytes.withUnsafeBufferPointer { (b) throws(OperationError) in try matching.check(b) }
                    if let refusal = checked.matches.first(where: \.refuses) {
                        throw OperationError.conflict([
                            RecordProblem(column: refusal.field, message: refusal.message).description
                        ])
                    }
                }
                try claimed.claim(document, id: id, unique: operations.unique, what: "row \(row.line)")
                if let matching {
                    matching.remember(checked, row: row.line)
                    outcome.duplicates += checked.matches.map { (row.line, id, $0) }
                }
                operationsToCommit.append(.put(id: id, document: document))
                inserted.append(id)
                insertedIds.insert(id)
            } catch { reject(given, error) }
        }
        outcome.inserted = inserted
        if !inserted.isEmpty {
            operationsToCommit.append(
                operations.logEntry(
                    "import", actor: actor, time: time, customers: inserted, changes: [], reason: source))
        }
        guard !dryRun, keepRejected || outcome.rejected.isEmpty, !operationsToCommit.isEmpty else { return outcome }
        do { try operations.store.commit(operationsToCommit) } catch { throw OperationError.store(error) }
        outcome.stored = true
        return outcome
    }

    /// The next free number of the table's numbering, after those this batch took.
    private func nextNumber(_ table: TableKind, _ numbers: inout [String: Int], taken: Set<String>)
        throws(OperationError) -> String
    {
        let numbering = operations.config.model.schema.numbering(for: table)
        var n = (numbers[numbering.prefix] ?? operations.store.highestNumber(prefix: numbering.prefix)) + 1
        while operations.store.isTaken(numbering.format(n)) || taken.contains(numbering.format(n)) { n += 1 }
        numbers[numbering.prefix] = n
        return numbering.format(n)
    }

    /// Tags and shares are changed by `tag` and `share`: a row may give them only as the
    /// customer has them (as an exported line does), and a new customer none.
    static func refuseTagsAndShares(_ record: JSONValue, stored: JSONValue?) throws(OperationError) {
        func empty(_ value: JSONValue?) -> Bool {
            switch value {
            case nil, .null?: return true
            case .array(let items)?: return items.isEmpty
            case .object(let members)?: return members.allSatisfy { empty($0.1) }
            default: return false
            }
        }
        for key in ["tags", "shared"] {
            guard let value = record[key] else { continue }
            if let stored {
                if value == stored[key] ?? .null || (empty(value) && empty(stored[key])) { continue }
            } else if empty(value) {
                continue
            }
            throw .invalid([
                "column \(key): --update changes fields and owners; '\(key == "tags" ? "tag set" : "share")' changes \(key == "tags" ? "tags" : "shares")"
            ])
        }
    }

    /// FIELD=VALUE pairs of a row: its fields (a JSON null clears one; a CSV row gives
    /// only its non-empty cells) and the owners it names.
    static func assignments(_ record: JSONValue, adding: Bool) -> [(String, FieldInput)] {
        var result: [(String, FieldInput)] = []
        // A new customer without an owner named is the importer's.
        for key in ["account_executive", "customer_service_rep"] {
            if let value = record[key], !(adding && value.isNull) { result.append((key, .value(value))) }
        }
        if case .object(let fields)? = record["fields"] {
            result += fields.map { ($0.0, FieldInput.value($0.1)) }
        }
        return result
    }

    /// The keys a line may give: those of an exported customer.
    static let rowKeys = StoredKey.allCases.map(\.name)

    /// A key no customer has, or a key or field given twice; nil when there is none.
    static func keyProblem(_ members: [(String, JSONValue)]) -> RecordProblem? {
        var seen: Set<String> = []
        for (key, value) in members {
            guard rowKeys.contains(key) else {
                return RecordProblem(
                    column: key, message: "unknown key '\(key)'\(Suggestion.didYouMean(key, in: rowKeys))")
            }
            guard seen.insert(key).inserted else {
                return RecordProblem(column: key, message: "key '\(key)' is given twice")
            }
            if key == StoredKey.fields.name, case .object(let fields) = value {
                var named: Set<String> = []
                for (field, _) in fields where !named.insert(field).inserted {
                    return RecordProblem(column: field, message: "field '\(field)' is given twice")
                }
            }
        }
        return nil
    }

    /// Where a row says a stored customer is must be where it is: an upsert changes
    /// fields and owners, never a customer's team, table, package or pool.
    static func refuseMoves(_ record: JSONValue, stored: JSONValue, id: String) throws(OperationError) {
        for key in [StoredKey.team, .table, .package, .pool].map(\.name) {
            guard let given = record[key], given != stored[key] ?? .null else { continue }
            throw .invalid([
                "column \(key): the row gives \(given.jsonText), but \(id) has \((stored[key] ?? .null).jsonText): an upsert does not move a customer"
            ])
        }
    }

    static func place(_ record: JSONValue, _ defaults: RecordValidator.Defaults) -> (
        team: String?, table: TableKind?, package: String?
    ) {
        (
            record["team"]?.stringValue ?? defaults.team,
            record["table"]?.stringValue.flatMap(TableKind.init(rawValue:)) ?? defaults.table,
            record["package"]?.stringValue ?? defaults.package
        )
    }

    /// An operation's refusal as the problems of a row, each at its column (the header's
    /// name in a CSV file).
    static func problems(_ error: OperationError, columnNames: [String: String]) -> [RecordProblem] {
        let messages: [String]
        switch error {
        case .invalid(let list), .conflict(let list): messages = list
        default: messages = [error.description]
        }
        return messages.map { message in
            guard message.hasPrefix("column "), let colon = message.range(of: ": ") else {
                return RecordProblem(column: "", message: message)
            }
            let column = String(message[message.index(message.startIndex, offsetBy: 7)..<colon.lowerBound])
            return RecordProblem(column: columnNames[column] ?? column, message: String(message[colon.upperBound...]))
        }
    }

    /// The rows of the file as records, and the header's name of each column of a CSV file.
    static func rows(
        _ bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat, records: RecordValidator,
        defaults: RecordValidator.Defaults
    ) throws(ImportFileError) -> (rows: [Row], columnNames: [String: String]) {
        var rows: [Row] = []
        switch format {
        case .jsonLines:
            var line = 1
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
                let text = String(decoding: slice, as: UTF8.self)
                if !text.trimmingWhitespace().isEmpty {
                    // Read as strictly as a plain import reads a line: UTF-8, each key once, known keys.
                    var tape = JSONTape()
                    var record = JSONValue.null
                    var problem: RecordProblem?
                    do throws(JSONTape.SyntaxError) {
                        try tape.parse(slice)
                        record = try JSONValue.parse(text, refusingLoneSurrogates: true)
                        if case .object(let members) = record {
                            problem = Self.keyProblem(members)
                        } else {
                            problem = RecordProblem(
                                column: "", message: "a line must be a JSON object, as 'export' writes")
                        }
                    } catch {
                        problem = RecordProblem(column: String(error.offset + 1), message: error.message)
                    }
                    rows.append(Row(line: line, record: record, problem: problem))
                }
                line += 1
                start = end + 1
            }
            return (rows, [:])
        case .csv:
            var reader = CSVReader(bytes)
            func next() throws(ImportFileError) -> CSVReader.Record? {
                do { return try reader.next() } catch {
                    throw ImportFileError(error.message, line: error.line, column: error.column)
                }
            }
            guard let header = try next() else { return ([], [:]) }
            let team = defaults.team ?? (records.teamIds.count == 1 ? records.teamIds.first : nil)
            guard let table = defaults.table, let team,
                let index = records.validatorIndex(team: team, table: table, package: defaults.package)
            else {
                throw ImportFileError("a CSV file needs --table (and --team when the config has several teams)")
            }
            let columns = try CSVColumns(header: header.cells, validator: records.validators[index], line: header.line)
            let rowDefaults = RecordValidator.Defaults(team: team, table: table, package: defaults.package)
            while let record = try next() {
                if record.cells.count > header.cells.count {
                    throw ImportFileError(
                        "the row has \(record.cells.count) cells, the header \(header.cells.count)", line: record.line)
                }
                rows.append(Row(line: record.line, record: columns.record(record.cells, defaults: rowDefaults)))
            }
            return (rows, columns.columnName)
        }
    }
}

extension CustomerUpsert {
    /// Finds the stored customer that holds a row's value of a unique field.
    struct Matcher {
        let field: String
        let operations: CustomerOperations
        let defaults: RecordValidator.Defaults
        let held: UniqueValues?

        init(_ field: String, _ operations: CustomerOperations, _ defaults: RecordValidator.Defaults)
            throws(ImportFileError)
        {
            let records = operations.config.records
            let covering = records.validators.filter { v in
                (defaults.table == nil || v.table == defaults.table)
                    && (defaults.team == nil || v.team == defaults.team)
                    && (defaults.package == nil || v.package == defaults.package)
            }
            guard covering.contains(where: { $0.fields.contains { $0.identity == field && $0.unique } }) else {
                throw ImportFileError(
                    "--match \(field): '\(field)' is not a unique field of the customers imported; rows are matched by the values of a field with 'unique: true'"
                )
            }
            self.field = field
            self.operations = operations
            self.defaults = defaults
            do {
                held = try operations.store.uniqueValues(
                    layout: operations.unique.layout, keys: operations.unique.keys(ofDocument:))
            } catch {
                throw ImportFileError("the store's unique values could not be read: \(error.message)")
            }
        }

        /// The stored customer holding the row's value, nil when none does (or the row gives none).
        func id(of record: JSONValue) throws(OperationError) -> String? {
            guard let value = record["fields"]?[field], !value.isNull, let held else { return nil }
            let place = CustomerUpsert.place(record, defaults)
            var probe: [(String, JSONValue)] = [("id", .string("")), ("team", .string(place.team ?? ""))]
            probe.append(("table", .string(place.table?.rawValue ?? "")))
            probe.append(("package", place.package.map(JSONValue.string) ?? .null))
            probe.append(("fields", .object([(field, value)])))
            let bytes = Array(JSONValue.object(probe).jsonText.utf8)
            // The unique value's key alone: a matching rule's keys are no identity.
            guard let (_, claims, _) = bytes.withUnsafeBufferPointer({ operations.unique.read($0) }),
                let key = claims.first?.key
            else { return nil }
            let ids = held.ids(holding: key)
            return ids.count == 1 ? ids[0] : nil
        }
    }
}
