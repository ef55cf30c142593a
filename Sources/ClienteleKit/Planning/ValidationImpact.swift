import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleStore

/// The stored records that validation rules added or changed by a config change
/// refuse, counted over the documents as the migration leaves them.
enum ValidationImpact {
    /// The rules of `diff` that are new or changed in the new config.
    static func changedRules(_ diff: ConfigDiff) -> Set<String> {
        Set(diff.changes.filter { $0.entity == "validation rule" && $0.kind != .removed }.map(\.id))
    }

    static func scan(
        _ store: any CustomerStore, rules: ValidationRuleSet, migrations: [RecordMigration], now: Double
    ) throws(StoreError) -> [DataImpact.Entry] {
        guard !rules.isEmpty else { return [] }
        let scanner = DataImpactScanner(migrations: migrations)
        let tally = DataImpactScanner.Tally()
        var counts: [String: (rule: ValidationRule, count: Int, sample: [String], types: Set<RecordType>)] = [:]
        func check(_ view: JSONView) {
            guard view.kind(0) == .object, let team = view.text(of: "team"),
                let table = view.text(of: "table").flatMap(TableKind.init(rawValue:))
            else { return }
            let package = view.text(of: "package")
            let id = view.text(of: "id") ?? ""
            for rule in rules.broken(view, root: 0, team: team, table: table, package: package, now: now) {
                var entry = counts[rule.id] ?? (rule, 0, [], [])
                entry.count += 1
                if entry.sample.count < DataImpact.sampleSize { entry.sample.append(id) }
                entry.types.insert(RecordType(team: team, table: table, package: package))
                counts[rule.id] = entry
            }
        }
        try store.forEachDocument { bytes in
            guard (try? tally.tape.parse(bytes)) != nil else { return }
            let migrated: (JSONValue, RecordMigration)? = tally.tape.withView(bytes: bytes) { view in
                scanner.inspect(view, order: 0, tally: tally).map { (view.value(0), $0) }
            }
            guard let (document, m) = migrated else {
                tally.tape.withView(bytes: bytes) { check($0) }
                return
            }
            guard !m.removesRecords else { return }
            let migratedBytes = Array(ConfigApplier.migrate(document, m).0.jsonText.utf8)
            var tape = JSONTape()
            migratedBytes.withUnsafeBufferPointer { b in
                guard (try? tape.parse(b)) != nil else { return }
                tape.withView(bytes: b) { check($0) }
            }
        }
        return counts.values.sorted { $0.rule.id < $1.rule.id }.map { c in
            let r = c.rule
            let place =
                r.package.map { "package '\($0)'" }
                ?? "the \(r.table.rawValue) table\(r.team.map { " of team '\($0)'" } ?? "")"
            return DataImpact.Entry(
                kind: .invalid, types: c.types.sorted { $0.description < $1.description }, place: place,
                field: r.fields.first, what: "records validation rule '\(r.id)' refuses (\(r.message))",
                count: c.count, sample: c.sample, location: r.location)
        }
    }
}

extension JSONView {
    /// The text of a top-level member of the document, when it is text.
    fileprivate func text(of key: String) -> String? {
        var j = 1
        while j < next(0) {
            if string(j) == key { return kind(j + 1) == .string ? string(j + 1) : nil }
            j = next(j + 1)
        }
        return nil
    }
}
