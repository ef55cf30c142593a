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
        // A JSON Lines row stays where it is in the mapped file; a CSV row (converted to JSON) is copied.
        var rows: [(line: Int, row: Row)] = []
        let base = bytes.baseAddress
        var report = try checker.check(bytes, format: format, progress: progress) { line, record in
            if let base, let start = record.baseAddress, start >= base, start + record.count <= base + bytes.count {
                rows.append((line, .inFile(offset: base.distance(to: start), length: record.count)))
            } else {
                rows.append((line, .copied(Array(record))))
            }
        }
        var rejected = Dictionary(uniqueKeysWithValues: report.rejected.map { ($0.line, $0) })
        rows.removeAll { rejected[$0.line] != nil }
        func withRecord<R>(_ row: Row, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
            switch row {
            case .inFile(let offset, let length): return try body(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + length)]))
            case .copied(let record): return try record.withUnsafeBufferPointer(body)
            }
        }

        // The rules, on every accepted row's customer at once.
        let table = config.access.makeCustomerTable()
        /// The rows to store: which row, its id, and whether the id was assigned here.
        var accepted: [(row: Int, id: String, assigned: Bool)] = []
        var refusedByRules = 0
        var tape = JSONTape()
        var usedIds: Set<String> = []
        for row in rows {
            if let id = withRecord(row.row, { b -> String? in
                guard (try? tape.parse(b)) != nil else { return nil }
                return tape.withView(bytes: b) { Self.topString($0, "id") }
            }) { usedIds.insert(id) }
        }
        func build(_ row: Row) -> Built? {
            withRecord(row) { b in
                guard (try? tape.parse(b)) != nil else { return nil }
                return tape.withView(bytes: b) { view in Self.document(view, defaults: defaults, config: config, actor: actor, time: time) }
            }
        }
        var nextNumber: [TableKind: Int] = [:]
        for (index, row) in rows.enumerated() {
            let built = build(row.row)
            guard var built else { continue }
            if let given = built.id, store.contains(given) {
                rejected[row.line] = RejectedRow(line: row.line, id: given, problems: [RecordProblem(column: "id", message: "id '\(given)' already exists in the store")])
                continue
            }
            if built.id == nil {
                let n = config.model.schema.numbering(for: built.table)
                var number = nextNumber[built.table] ?? (Int(store.nextId(n).dropFirst(n.prefix.count)) ?? 1)
                while usedIds.contains(n.format(number)) || store.contains(n.format(number)) { number += 1 }
                let next = n.format(number)
                nextNumber[built.table] = number + 1
                usedIds.insert(next)
                built.id = next
                built.assigned = true
                built.document = Self.withId(next, built.document)
            }
            guard built.document.withUnsafeBufferPointer({ table.addDocument($0) }) else { continue }
            let c = table.count - 1
            guard config.access.isAllowed(user: u, action: .import, customer: c, in: table) else {
                refusedByRules += 1
                let e = config.access.explain(user: u, action: .import, customer: c, in: table)
                rejected[row.line] = RejectedRow(line: row.line, id: built.id, problems: [RecordProblem(column: "", message: "\(actor) may not import this customer: \(e.reasons.joined(separator: "; "))")])
                continue
            }
            accepted.append((index, built.id!, built.assigned))
        }
        report.rejected = rejected.values.sorted { $0.line < $1.line }
        var outcome = Outcome(report: report, refusedByRules: refusedByRules, stored: [])
        guard keepRejected || report.rejected.isEmpty, !accepted.isEmpty else { return outcome }
        // Documents are built again while the batch streams out, so they are never all held at once.
        try store.log.commitStreaming { put, log in
            for a in accepted {
                guard let built = build(rows[a.row].row) else { continue }
                let document = a.assigned ? Self.withId(a.id, built.document) : built.document
                try document.withUnsafeBufferPointer { try put(a.id, $0) }
            }
            try log(.object([
                ("time", .string(time)), ("actor", .string(actor)), ("type", .string("import")),
                ("customers", .array(accepted.map { .string($0.id) })), ("changes", .array([])),
                ("reason", .string(source)), ("config_version", .number(String(operations.configVersion))),
            ]))
        }
        outcome.stored = accepted.map(\.id)
        return outcome
    }

    /// Where an accepted row's JSON is.
    enum Row {
        case inFile(offset: Int, length: Int)
        case copied([UInt8])
    }

    struct Built {
        var id: String?
        var assigned = false
        var table: TableKind
        var document: [UInt8]
    }

    /// The document with an `id` key put first.
    static func withId(_ id: String, _ document: [UInt8]) -> [UInt8] {
        Array("{\"id\":".utf8) + Array(JSONValue.string(id).jsonText.utf8) + [UInt8(ascii: ",")] + document.dropFirst()
    }

    static func topString(_ view: JSONView, _ key: String) -> String? {
        var j = 1
        while j < view.next(0) {
            if view.kind(j + 1) == .string, view.string(j) == key { return view.string(j + 1) }
            j = view.next(j + 1)
        }
        return nil
    }

    /// The stored document for an import row: the row's own bytes, the team, table
    /// and package the command gave when the row does not say, the defaults of
    /// fields it leaves out, and the keys the store keeps.
    static func document(_ view: JSONView, defaults: RecordValidator.Defaults, config: CompiledConfig, actor: String, time: String) -> Built? {
        guard view.kind(0) == .object else { return nil }
        var present: [String: Int] = [:]
        var j = 1
        while j < view.next(0) {
            present[view.string(j)] = j + 1
            j = view.next(j + 1)
        }
        func text(_ key: String) -> String? { present[key].flatMap { view.kind($0) == .string ? view.string($0) : nil } }
        let team = text("team") ?? defaults.team ?? defaults.package.flatMap { config.model.schema.package($0)?.team }
        let table = text("table").flatMap(TableKind.init(rawValue:)) ?? defaults.table ?? .individual
        let package = present["package"] != nil ? text("package") : defaults.package
        var extra: [(String, JSONValue)] = []
        if present["team"] == nil, let team { extra.append(("team", .string(team))) }
        if present["table"] == nil { extra.append(("table", .string(table.rawValue))) }
        if present["package"] == nil { extra.append(("package", package.map(JSONValue.string) ?? .null)) }
        for key in ["account_executive", "customer_service_rep"] where present[key] == nil { extra.append((key, .null)) }
        if present["shared"] == nil { extra.append(("shared", .object([("users", .array([])), ("departments", .array([])), ("roles", .array([]))]))) }
        if present["tags"] == nil { extra.append(("tags", .array([]))) }
        extra += [("followers", .array([])), ("pool", .null), ("created_at", .string(time)), ("created_by", .string(actor)),
                  ("modified_at", .string(time)), ("modified_by", .string(actor))]

        // Fields with a default that the row leaves out, and values that normalising
        // changes, need the fields object rebuilt; other rows keep their own bytes.
        let fields = team.map { config.model.schema.fields(team: $0, table: table, package: package) } ?? []
        let withDefaults = fields.filter { $0.defaultValue != nil && $0.identities.count == 1 }
        let normalized = Dictionary(fields.compactMap { f in f.spec.normalize.map { (f.identity, $0) } }, uniquingKeysWith: { a, _ in a })
        let fieldsIndex = present["fields"]
        var missing: [Field] = []
        var renormalize = false
        if !withDefaults.isEmpty || !normalized.isEmpty, let f = fieldsIndex, view.kind(f) == .object {
            var given: Set<String> = []
            var k = f + 1
            while k < view.next(f) {
                let name = view.string(k)
                if view.kind(k + 1) != .null { given.insert(name) }
                if let how = normalized[name], view.kind(k + 1) == .string {
                    let value = view.string(k + 1)
                    if Normalizer.normalize(value, how) != value { renormalize = true }
                }
                k = view.next(k + 1)
            }
            missing = withDefaults.filter { !given.contains($0.identity) }
        } else {
            missing = withDefaults
        }
        var out: [UInt8] = []
        if missing.isEmpty && !renormalize {
            // The row's own bytes, less its closing brace.
            let raw = UnsafeBufferPointer(rebasing: view.bytes[Int(view.token(0).start)..<Int(view.token(0).end)])
            out.append(contentsOf: raw.dropLast())
            while let last = out.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D { out.removeLast() }
        } else {
            guard case .object(var members) = view.value(0) else { return nil }
            var fields: [(String, JSONValue)] = []
            if let k = members.firstIndex(where: { $0.0 == "fields" }) {
                if case .object(let f) = members[k].1 { fields = f.filter { !$0.1.isNull } }
                members.remove(at: k)
            }
            for field in missing { fields.append((field.identity, field.defaultValue!)) }
            fields = fields.map { name, value in
                if let how = normalized[name], case .string(let s) = value { return (name, .string(Normalizer.normalize(s, how))) }
                return (name, value)
            }
            members.append(("fields", .object(fields)))
            out = Array(JSONValue.object(members).jsonText.utf8)
            out.removeLast()
        }
        var tail = ""
        for (key, value) in extra {
            tail += ","
            JSONValue.writeString(key, to: &tail)
            tail += ":"
            value.write(to: &tail)
        }
        tail += "}"
        if out.count == 1 { tail.removeFirst() }   // an empty object: no comma before the first key
        out.append(contentsOf: tail.utf8)
        return Built(id: text("id"), table: table, document: out)
    }
}
