/// `import` for real: every row validated, the `import` action checked on each
/// row's customer, then all accepted rows stored in one batch with one log entry.
/// Without a rejects file, any refused row refuses the whole file.
public struct CustomerImport {
    public let operations: CustomerOperations

    public init(config: CompiledConfig, store: JSONFileStore) {
        operations = CustomerOperations(config: config, store: store)
    }

    public struct Outcome: Sendable {
        public var report: ImportReport
        /// Rows the access rules refused (also in `report.rejected`).
        public var refusedByRules: Int
        public var stored: [String]
    }

    /// `keepRejected`: store the accepted rows even when others are refused (the
    /// caller writes the refused ones to a rejects file).
    public func run(_ bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat, defaults: RecordValidator.Defaults, actor: String,
                    time: String, source: String, keepRejected: Bool, progress: ((Int) -> Void)? = nil) throws -> Outcome {
        let config = operations.config
        let store = operations.store
        let u = try operations.user(actor)
        let checker = ImportChecker(records: config.records, defaults: defaults, workers: 1)
        var rows: [(line: Int, record: [UInt8])] = []
        var report = try checker.check(bytes, format: format, progress: progress) { line, record in rows.append((line, Array(record))) }
        var rejected = Dictionary(uniqueKeysWithValues: report.rejected.map { ($0.line, $0) })
        rows.removeAll { rejected[$0.line] != nil }

        // The rules, on every accepted row's customer at once.
        let table = config.access.makeCustomerTable()
        var documents: [(line: Int, id: String, document: [UInt8])] = []
        var refusedByRules = 0
        var usedIds = Set(rows.compactMap { Self.id(of: $0.record) })
        var nextNumber: [TableKind: Int] = [:]
        for row in rows {
            var tape = JSONTape()
            let document: [UInt8]? = row.record.withUnsafeBufferPointer { b in
                guard (try? tape.parse(b)) != nil else { return nil }
                return tape.withView(bytes: b) { view in Self.document(view, defaults: defaults, config: config, actor: actor, time: time) }
            }
            guard var document else { continue }
            var id = Self.id(of: document)
            if let given = id, store.contains(given) {
                rejected[row.line] = RejectedRow(line: row.line, id: given, problems: [RecordProblem(column: "id", message: "id '\(given)' already exists in the store")])
                continue
            }
            if id == nil {
                let kind = Self.string(document, "table").flatMap(TableKind.init(rawValue:)) ?? .individual
                let n = config.model.schema.numbering(for: kind)
                var number = nextNumber[kind] ?? (Int(store.nextId(n).dropFirst(n.prefix.count)) ?? 1)
                while usedIds.contains(n.format(number)) || store.contains(n.format(number)) { number += 1 }
                let next = n.format(number)
                nextNumber[kind] = number + 1
                usedIds.insert(next)
                id = next
                document = Array("{\"id\":".utf8) + Array(JSONValue.string(next).jsonText.utf8) + [UInt8(ascii: ",")] + document.dropFirst()
            }
            let c = document.withUnsafeBufferPointer { b -> Int? in table.addDocument(b) ? table.count - 1 : nil }
            guard let c else { continue }
            let e = config.access.explain(user: u, action: .import, customer: c, in: table)
            guard e.decision.allowed else {
                refusedByRules += 1
                rejected[row.line] = RejectedRow(line: row.line, id: id, problems: [RecordProblem(column: "", message: "\(actor) may not import this customer: \(e.reasons.joined(separator: "; "))")])
                continue
            }
            documents.append((row.line, id!, document))
        }
        report.rejected = rejected.values.sorted { $0.line < $1.line }
        var outcome = Outcome(report: report, refusedByRules: refusedByRules, stored: [])
        guard keepRejected || report.rejected.isEmpty, !documents.isEmpty else { return outcome }
        try store.log.commitStreaming { put, log in
            for d in documents { try d.document.withUnsafeBufferPointer { try put(d.id, UnsafeBufferPointer(rebasing: $0[...])) } }
            try log(.object([
                ("time", .string(time)), ("actor", .string(actor)), ("type", .string("import")),
                ("customers", .array(documents.map { .string($0.id) })), ("changes", .array([])),
                ("reason", .string(source)), ("config_version", .number(String(operations.configVersion))),
            ]))
        }
        outcome.stored = documents.map(\.id)
        return outcome
    }

    static func id(of record: [UInt8]) -> String? { string(record, "id") }

    static func string(_ record: [UInt8], _ key: String) -> String? {
        (try? JSONValue.parse(String(decoding: record, as: UTF8.self)))?[key]?.stringValue
    }

    /// The stored document for an import row: the row's own keys, the team, table
    /// and package the command gave when the row does not say, the defaults of
    /// fields it leaves out, and the keys the store keeps.
    static func document(_ view: JSONView, defaults: RecordValidator.Defaults, config: CompiledConfig, actor: String, time: String) -> [UInt8] {
        var value = view.value(0)
        guard case .object(var members) = value else { return [] }
        func has(_ key: String) -> Bool { members.contains { $0.0 == key } }
        if !has("team"), let team = defaults.team ?? defaults.package.flatMap({ config.model.schema.package($0)?.team }) { members.append(("team", .string(team))) }
        if !has("table"), let table = defaults.table { members.append(("table", .string(table.rawValue))) }
        if !has("package") { members.append(("package", defaults.package.map(JSONValue.string) ?? .null)) }
        if !has("account_executive") { members.append(("account_executive", .null)) }
        if !has("customer_service_rep") { members.append(("customer_service_rep", .null)) }
        if !has("shared") { members.append(("shared", .object([("users", .array([])), ("departments", .array([])), ("roles", .array([]))]))) }
        if !has("tags") { members.append(("tags", .array([]))) }
        if let team = members.first(where: { $0.0 == "team" })?.1.stringValue,
           let table = members.first(where: { $0.0 == "table" })?.1.stringValue.flatMap(TableKind.init(rawValue:)) {
            let package = members.first { $0.0 == "package" }?.1.stringValue
            let withDefaults = config.model.schema.fields(team: team, table: table, package: package).filter { $0.defaultValue != nil }
            if !withDefaults.isEmpty {
                var fields: [(String, JSONValue)] = []
                if let k = members.firstIndex(where: { $0.0 == "fields" }), case .object(let f) = members[k].1 { fields = f; members.remove(at: k) }
                for field in withDefaults where field.identities.count == 1 {
                    if !fields.contains(where: { $0.0 == field.identity && !$0.1.isNull }) { fields.append((field.identity, field.defaultValue!)) }
                }
                members.append(("fields", .object(fields)))
            }
        }
        members += [("followers", .array([])), ("pool", .null), ("created_at", .string(time)), ("created_by", .string(actor)),
                    ("modified_at", .string(time)), ("modified_by", .string(actor))]
        value = .object(members)
        return Array(value.jsonText.utf8)
    }
}
