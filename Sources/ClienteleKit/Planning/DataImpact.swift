import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// What a config change does to the stored records, counted over the store.
package struct DataImpact: Sendable {
    package enum Kind: String, Sendable, CaseIterable {
        /// Values (or whole records) that apply removes, kept in a backup: needs `--allow-data-loss`.
        case lost
        /// Records the new definitions refuse: apply is refused until the config or the data changes.
        case invalid
        /// Values that apply rewrites (a `was:` rename of a field or of an option).
        case rewritten
        /// Defaults that apply fills in.
        case filled
    }

    /// One counted effect: "12 values of 'level' in package 'spring' are an option no longer offered".
    package struct Entry: Sendable {
        package var kind: Kind
        /// The record types it counts over: one, or several when one line of the config reaches them all.
        package var types: [RecordType]
        /// How the plan names them: `package 'spring'`, `2 tables and 1 package`.
        package var place: String
        package var field: String?
        package var what: String
        package var count: Int
        /// The first ids, in log order.
        package var sample: [String]
        /// Where the config says it.
        package var location: SourceLocation?
    }

    package var entries: [Entry] = []
    /// The stored records the impact was counted over.
    package var records = 0

    package func entries(_ kind: Kind) -> [Entry] { entries.filter { $0.kind == kind } }
    package var losesData: Bool { entries.contains { $0.kind == .lost } }

    static let sampleSize = 5
}

/// Counts a change's effect on the stored records: one pass over the documents,
/// on every core, reading only the records whose team, table or package changes.
struct DataImpactScanner: Sendable {
    let migrations: [RecordMigration]
    /// Migrations found from a document's bytes: team x table for main tables, and per package.
    let teams: ByteKeyTable
    let packages: ByteKeyTable
    let mainMigrations: [RecordMigration?]
    let packageMigrations: [RecordMigration]
    static let topKeys = ByteKeyTable([("id", 0), ("team", 1), ("table", 2), ("package", 3), ("fields", 4)])
    static let tableNames = ByteKeyTable(TableKind.allCases.enumerated().map { ($1.rawValue, $0) })

    /// What one counter counts: an effect on a field (or on whole records) of a record type.
    /// A class hashed by a number computed once: the keys of a migration's slots are
    /// made once, and counting a value then costs one reference, not four strings.
    final class CounterKey: Hashable, Sendable {
        let kind: DataImpact.Kind
        let type: RecordType
        let field: String?
        let what: String
        private let hash: Int

        init(kind: DataImpact.Kind, type: RecordType, field: String?, what: String) {
            self.kind = kind
            self.type = type
            self.field = field
            self.what = what
            var hasher = Hasher()
            hasher.combine(kind)
            hasher.combine(type)
            hasher.combine(field)
            hasher.combine(what)
            hash = hasher.finalize()
        }

        static func == (a: CounterKey, b: CounterKey) -> Bool {
            a === b
                || (a.hash == b.hash && a.kind == b.kind && a.type == b.type && a.field == b.field && a.what == b.what)
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    /// A field of a record type, or (`field` nil) the record type itself: where the config says it.
    struct FieldPlace: Hashable, Sendable {
        var type: RecordType
        var field: String?
    }

    init(migrations: [RecordMigration]) {
        self.migrations = migrations
        let teamIds = Array(Set(migrations.map(\.team))).sorted()
        teams = ByteKeyTable(teamIds.enumerated().map { ($1, $0) })
        var main = [RecordMigration?](repeating: nil, count: teamIds.count * TableKind.allCases.count)
        for m in migrations where m.package == nil {
            main[TableKind.slot(team: teamIds.firstIndex(of: m.team)!, table: m.table.ordinal)] = m
        }
        mainMigrations = main
        packageMigrations = migrations.filter { $0.package != nil }
        packages = ByteKeyTable(packageMigrations.enumerated().map { ($1.package!, $0) })
    }

    /// Tallies of one worker, merged at the end.
    final class Tally: @unchecked Sendable {
        struct Counter {
            var count = 0
            var sample: [(Int, String)] = []

            mutating func add(id: String, order: Int) {
                count += 1
                if sample.count < DataImpact.sampleSize { sample.append((order, id)) }
            }
        }
        var counters: [CounterKey: Counter] = [:]
        /// field -> value -> ids, for new uniqueness.
        var uniqueValues: [FieldPlace: [String: [String]]] = [:]
        /// Reused for every document the worker reads.
        var tape = JSONTape()
        /// Documents read so far: with the worker's number, the order of a sample id.
        var read = 0

        func add(_ key: CounterKey, id: String, order: Int) {
            counters[key, default: Counter()].add(id: id, order: order)
        }
    }

    static func counterKey(_ kind: DataImpact.Kind, _ m: RecordMigration, _ field: String?, _ what: String)
        -> CounterKey
    {
        CounterKey(kind: kind, type: m.type, field: field, what: what)
    }

    /// The migration for a document, found from its team, table and package.
    func migration(_ view: JSONView, team: Int, table: Int, package: Int) -> RecordMigration? {
        if package >= 0, view.kind(package) == .string {
            guard let p = view.withString(package, { packages.lookup($0) }) else { return nil }
            let m = packageMigrations[p]
            return view.kind(team) == .string && view.string(team) == m.team
                && view.withString(table, { Self.tableNames.lookup($0) }) == m.table.ordinal
                ? m : nil
        }
        guard team >= 0, table >= 0, view.kind(team) == .string, view.kind(table) == .string,
            let t = view.withString(team, { teams.lookup($0) }),
            let k = view.withString(table, { Self.tableNames.lookup($0) })
        else { return nil }
        return mainMigrations[TableKind.slot(team: t, table: k)]
    }

    /// Reads one document; tallies what the migration does to it. Returns the
    /// migration when it changes the document.
    @discardableResult
    func inspect(_ view: JSONView, order: Int, tally: Tally) -> RecordMigration? {
        guard view.kind(0) == .object else { return nil }
        var top = [-1, -1, -1, -1, -1]
        var j = 1
        while j < view.next(0) {
            if let k = Self.topKeys.lookup(view, j) { top[k] = j + 1 }
            j = view.next(j + 1)
        }
        guard let m = migration(view, team: top[1], table: top[2], package: top[3]), !m.isEmpty else { return nil }
        let id = top[0] >= 0 && view.kind(top[0]) == .string ? view.string(top[0]) : ""
        if m.removesRecords {
            tally.add(Self.counterKey(.lost, m, nil, "records removed with the \(m.removedWith)"), id: id, order: order)
            return m
        }
        var changes = false
        var present = m.tracksPresence ? [Bool](repeating: false, count: m.slots.count) : []
        if top[4] >= 0, view.kind(top[4]) == .object {
            let fields = top[4]
            var k = fields + 1
            while k < view.next(fields) {
                let v = k + 1
                defer { k = view.next(v) }
                guard let slot = m.interest.lookup(view, k), FieldValueCheck.isGiven(view, v) else { continue }
                let s = m.slots[slot]
                if m.tracksPresence { present[slot] = true }
                if let key = s.droppedKey {
                    tally.add(key, id: id, order: order)
                    changes = true
                    continue
                }
                if let key = s.renamedKey {
                    tally.add(key, id: id, order: order)
                    changes = true
                    if m.tracksPresence, let t = s.identitySlot { present[t] = true }
                }
                // Unique values as the migration leaves them: options renamed, then normalised as the new field says.
                if let field = s.unique, view.kind(v) == .string || view.kind(v) == .number {
                    var value = view.kind(v) == .string ? view.string(v) : String(decoding: view.raw(v), as: UTF8.self)
                    value = Normalizer.normalize(s.remap?[value] ?? value, field.spec.normalize)
                    tally.uniqueValues[FieldPlace(type: m.type, field: s.identity), default: [:]][value, default: []]
                        .append(id)
                }
                if let remap = s.remap, remapped(view, v, remap) {
                    tally.add(s.remappedKey!, id: id, order: order)
                    changes = true
                    continue
                }
                if let gone = s.lostOptions, holds(view, v, gone) {
                    tally.add(s.lostOptionsKey!, id: id, order: order)
                    changes = true
                    continue
                }
                if let check = s.check, check.check(view, v) != nil { tally.add(s.invalidKey!, id: id, order: order) }
            }
        }
        guard m.tracksPresence else { return changes ? m : nil }
        func given(_ identity: String) -> Bool { m.interest.lookup(identity).map { present[$0] } ?? false }
        for field in m.required where !field.identities.allSatisfy(given) {
            tally.add(
                Self.counterKey(
                    .invalid, m, field.identity,
                    "records without a value, now required (give a default to fill them in)"), id: id, order: order)
        }
        for d in m.defaults where !given(d.identity) {
            tally.add(
                Self.counterKey(.filled, m, d.identity, "records given the default \(d.value.jsonText)"), id: id,
                order: order)
            changes = true
            // A default filled into a unique field is a value like the others.
            if let field = m.unique[d.identity], case .string(let value) = d.value {
                tally.uniqueValues[FieldPlace(type: m.type, field: d.identity), default: [:]][
                    Normalizer.normalize(value, field.spec.normalize), default: []
                ].append(id)
            }
        }
        return changes ? m : nil
    }

    private func values(_ view: JSONView, _ v: Int) -> [Int] {
        if view.kind(v) == .string { return [v] }
        guard view.kind(v) == .array else { return [] }
        var out: [Int] = []
        var k = v + 1
        while k < view.next(v) {
            if view.kind(k) == .string { out.append(k) }
            k = view.next(k)
        }
        return out
    }

    private func remapped(_ view: JSONView, _ v: Int, _ map: [String: String]) -> Bool {
        values(view, v).contains { map[view.string($0)] != nil }
    }

    private func holds(_ view: JSONView, _ v: Int, _ set: Set<String>) -> Bool {
        values(view, v).contains { set.contains(view.string($0)) }
    }

    /// Counts over every stored document.
    func scan(_ store: any CustomerStore, locations: [FieldPlace: SourceLocation]) throws(StoreError) -> DataImpact {
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let tallies = (0..<workers).map { _ in Tally() }
        if migrations.contains(where: { !$0.isEmpty }) {
            try store.forEachDocumentConcurrently(workers: workers) { w, bytes in
                let tally = tallies[w]
                guard (try? tally.tape.parse(bytes)) != nil else { return }
                tally.read += 1
                let order = w << 40 | tally.read
                _ = tally.tape.withView(bytes: bytes) { inspect($0, order: order, tally: tally) }
            }
        }
        var impact = merge(tallies, locations: locations)
        impact.records = store.count
        return impact
    }

    /// One entry per field definition and effect: a standard field or a main-table
    /// field reaches many tables and packages, and is one line of the config.
    static func combined(_ entries: [DataImpact.Entry]) -> [DataImpact.Entry] {
        struct Line: Hashable {
            var kind: DataImpact.Kind
            var field: String?
            var what: String
            /// The definition's place in the config, or (without one) the record type's.
            var anchor: String
        }
        var order: [Line] = []
        var groups: [Line: [DataImpact.Entry]] = [:]
        for e in entries {
            let key = Line(kind: e.kind, field: e.field, what: e.what, anchor: e.location?.description ?? e.place)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(e)
        }
        return order.map { key in
            let group = groups[key]!.sorted { $0.place < $1.place }
            guard group.count > 1 else { return group[0] }
            var e = group[0]
            e.count = group.reduce(0) { $0 + $1.count }
            e.sample = Array(group.flatMap(\.sample).sorted().prefix(DataImpact.sampleSize))
            e.types = group.flatMap(\.types)
            let packages = e.types.filter { $0.package != nil }.count
            let tables = e.types.count - packages
            e.place = [
                tables > 0 ? "\(tables) table\(tables == 1 ? "" : "s")" : nil,
                packages > 0 ? "\(packages) package\(packages == 1 ? "" : "s")" : nil,
            ]
            .compactMap { $0 }.joined(separator: " and ")
            return e
        }
    }

    func merge(_ tallies: [Tally], locations: [FieldPlace: SourceLocation]) -> DataImpact {
        var impact = DataImpact()
        var merged: [CounterKey: Tally.Counter] = [:]
        var unique: [FieldPlace: [String: [String]]] = [:]
        for t in tallies {
            for (k, c) in t.counters {
                var m = merged[k, default: Tally.Counter()]
                m.count += c.count
                m.sample += c.sample
                merged[k] = m
            }
            for (k, values) in t.uniqueValues {
                for (v, ids) in values { unique[k, default: [:]][v, default: []] += ids }
            }
        }
        for (k, values) in unique {
            let duplicates = values.filter { $0.value.count > 1 }
            guard !duplicates.isEmpty else { continue }
            let ids = duplicates.sorted { $0.key < $1.key }.flatMap(\.value)
            let groups = "\(duplicates.count) group\(duplicates.count == 1 ? "" : "s")"
            merged[
                CounterKey(
                    kind: .invalid, type: k.type, field: k.field,
                    what: "records sharing a value, now unique (\(groups))")
            ] = Tally.Counter(
                count: ids.count, sample: ids.prefix(DataImpact.sampleSize).enumerated().map { ($0, $1) })
        }
        for (k, c) in merged {
            impact.entries.append(
                DataImpact.Entry(
                    kind: k.kind, types: [k.type], place: k.type.description, field: k.field, what: k.what,
                    count: c.count, sample: c.sample.sorted { $0.0 < $1.0 }.prefix(DataImpact.sampleSize).map(\.1),
                    location: locations[FieldPlace(type: k.type, field: k.field)]
                        ?? locations[FieldPlace(type: k.type, field: nil)]))
        }
        impact.entries = Self.combined(impact.entries)
        let kinds = DataImpact.Kind.allCases
        impact.entries.sort {
            ($0.kind == $1.kind)
                ? ($0.place, $0.field ?? "", $0.what, $0.location?.description ?? "") < (
                    $1.place, $1.field ?? "", $1.what, $1.location?.description ?? ""
                )
                : kinds.firstIndex(of: $0.kind)! < kinds.firstIndex(of: $1.kind)!
        }
        return impact
    }
}
