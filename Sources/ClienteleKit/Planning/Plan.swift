import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// What applying a config would do to a store: the config changes, the errors
/// that forbid them, and their effect on the data, on access and on the pools.
package struct Plan: Sendable {
    /// The version the store holds, and the one apply would record.
    package var appliedVersion: Int
    package var version: Int
    package var diff: ConfigDiff
    /// Change rules broken and records the new config refuses: apply refuses.
    package var errors: [Diagnostic]
    /// Plain-words notes: which packages do not inherit a new main-table field, ...
    package var notes: [String]
    package var data: DataImpact
    package var access: AccessImpact
    package var pools: PoolImpact
    /// Hashes of the config files and of the stored data the plan was made from.
    package var configHash: String
    package var dataHash: String

    package var hasChanges: Bool { !diff.isEmpty }
    package var losesData: Bool { data.losesData }
}

/// A plan's inputs kept for apply: both configs, the migrations, the new inheritance.
package struct PlanContext: Sendable {
    package let applied: CompiledConfig
    package let new: CompiledConfig
    package let files: [(path: String, text: String)]
    package let inheritance: PackageInheritance
    let migrations: [RecordMigration]
}

/// Makes plans: compiles the applied version, compares, counts over the store.
package enum Planner {
    /// The applied version's config, compiled with its own package inheritance.
    package static func compileApplied(_ version: AppliedVersion) -> (CompiledConfig?, [Diagnostic]) {
        let (config, diagnostics, _) = Pipeline.compile(load(version), inheritance: version.inheritance)
        return (config, diagnostics)
    }

    /// What each new or changed matching rule finds among the stored customers (as
    /// they are stored, before any migration of this change).
    static func duplicateNotes(diff: ConfigDiff, new: CompiledConfig, store: any CustomerStore) throws(StoreError)
        -> [String]
    {
        let changed = Set(diff.changes.filter { $0.entity == "duplicate rule" && $0.kind != .removed }.map(\.id))
        let rules = new.model.duplicates.filter { changed.contains($0.id) }
        guard !rules.isEmpty else { return [] }
        let groups: [DuplicateGroup]
        do { groups = try CustomerOperations(config: new, store: store).duplicateGroups(rules: rules, user: nil) } catch
        {
            if case .store(let error) = error { throw error }
            return []
        }
        return rules.map { rule in
            let found = groups.filter { $0.rule == rule.id }
            guard !found.isEmpty else {
                return "duplicate rule '\(rule.id)' finds no duplicates among the stored customers."
            }
            let customers = found.reduce(0) { $0 + $1.ids.count }
            let sample = found.prefix(3).map { $0.ids.joined(separator: ", ") }.joined(separator: "; ")
            return
                "duplicate rule '\(rule.id)' finds \(found.count) group\(found.count == 1 ? "" : "s") of duplicates among the stored customers (\(customers) customers; first: \(sample)): 'clientele customer duplicates --rule \(rule.id)' lists them, 'clientele customer merge' merges them."
        }
    }

    /// A version's stored files, loaded; its locations read `version N:file:line:column`.
    package static func load(_ version: AppliedVersion) -> LoadedConfig {
        load(files: version.files, displayPrefix: "version \(version.number):")
    }

    /// Files given as they are (path relative to the config directory, and text), loaded;
    /// locations read `displayPrefix` + `file:line:column`.
    package static func load(files: [(path: String, text: String)], displayPrefix: String) -> LoadedConfig {
        let texts = Dictionary(files.map { ($0.path, $0.text) }, uniquingKeysWith: { a, _ in a })
        let yaml = files.filter { ConfigLoader.isYAML($0.path) }
        return ConfigLoader(displayPrefix: displayPrefix).load(sources: yaml) { texts[$0] }
    }

    /// FNV-1a over the files in path order: the config a plan was made from.
    package static func hash(files: [(path: String, text: String)]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for file in files.sorted(by: { $0.path < $1.path }) {
            for b in file.path.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0) &* 0x100_0000_01b3
            for b in file.text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0) &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }

    /// Plans `new` against what `store` holds; `applied` is the stored version compiled.
    package static func plan(
        store: any CustomerStore, applied: CompiledConfig, new: CompiledConfig, files: [(path: String, text: String)],
        now: Double
    ) throws(StoreError) -> (Plan, PlanContext) {
        let appliedNumber = store.version?.number ?? 0
        let old = applied.model
        let model = new.model
        let diff = ConfigDiff(old: old, new: model)
        let oldInheritance = store.version?.inheritance ?? .everything
        let inheritance = newInheritance(diff: diff, old: old, new: model, oldInheritance: oldInheritance)
        var errors = changeRuleErrors(diff: diff, old: old, new: model)
        var notes = inheritanceNotes(diff: diff, old: old, new: model)
        notes += try duplicateNotes(diff: diff, new: new, store: store)

        // Every record type of the applied config: team x customer table, and each package.
        // Records of a team or package the new config no longer has are removed (data loss).
        let teams = Set(model.organization.teams.map(\.id))
        var migrations: [RecordMigration] = []
        for team in old.organization.teams {
            for table in TableKind.allCases {
                migrations.append(
                    RecordMigration(
                        team: team.id, table: table, package: nil, old: old.schema, oldInheritance: oldInheritance,
                        new: model.schema, newInheritance: inheritance, teamRemains: teams.contains(team.id)))
            }
        }
        for p in old.schema.packages {
            migrations.append(
                RecordMigration(
                    team: p.team, table: p.table, package: p.id, old: old.schema, oldInheritance: oldInheritance,
                    new: model.schema, newInheritance: inheritance, teamRemains: teams.contains(p.team)))
        }
        var locations: [DataImpactScanner.FieldPlace: SourceLocation] = [:]
        for m in migrations {
            for f in model.schema.fields(team: m.team, table: m.table, package: m.package, inheritance: inheritance) {
                for i in f.identities { locations[.init(type: m.type, field: i)] = f.location }
            }
            for (i, f) in m.dropped where locations[.init(type: m.type, field: i)] == nil {
                locations[.init(type: m.type, field: i)] = f.location
            }
            if let p = m.package { locations[.init(type: m.type, field: nil)] = old.schema.package(p)?.location }
        }
        // Access and pools, over the customer table the applied rules read.
        let oldTable = try store.customerTable(for: applied.access)
        let probe = new.access.makeCustomerTable()
        // When a field the rules read moves (renamed, redefined, removed), or records go with their package or team,
        // the new policy reads the documents as the migration leaves them.
        let fieldsRead = AccessImpactCalculator.changesFieldsRead(diff, old: applied.access, new: new.access)
        let removesRecords = migrations.contains { $0.removesRecords }
        let newTable =
            fieldsRead || removesRecords
            ? try Self.migratedTable(store, migrations, new.access)
            : probe.layoutKey == oldTable.layoutKey ? oldTable : try store.customerTableFromDocuments(for: new.access)
        let accessChanged = fieldsRead || diff.changes.contains { AccessImpactCalculator.entities.contains($0.entity) }
        // The access impact reads only the tables in memory: it runs beside the walk
        // over the documents (the store is read by this thread alone).
        let calculator = AccessImpactCalculator(
            old: applied.access, new: new.access, oldModel: old, newModel: model, oldTable: oldTable,
            newTable: newTable, now: now)
        let accessImpact = accessChanged ? Beside { calculator.compute(diff: diff) } : nil

        var data: DataImpact
        do {
            data = try DataImpactScanner(migrations: migrations).scan(store, locations: locations)
            let changedRules = ValidationImpact.changedRules(diff)
            if !changedRules.isEmpty, let rules = new.records.validationRules?.only(changedRules) {
                data.entries += try ValidationImpact.scan(store, rules: rules, migrations: migrations, now: now)
            }
        } catch {
            // No work left running after the plan is refused.
            _ = accessImpact?.value()
            throw error
        }
        for entry in data.entries(.invalid) {
            errors.append(
                .error(
                    "\(entry.count) stored record\(entry.count == 1 ? "" : "s")\(entry.field.map { " of field '\($0)'" } ?? "") (\(entry.place)): \(entry.what); first: \(entry.sample.joined(separator: ", "))",
                    at: entry.location))
        }
        let access = accessImpact?.value() ?? AccessImpact()
        let pools = PoolImpact(old: old, new: model, table: oldTable, now: now)
        for s in pools.stranded {
            let customers = "\(s.count) customer\(s.count == 1 ? "" : "s")"
            errors.append(
                .error(
                    "\(customers) \(s.count == 1 ? "sits" : "sit") in pool '\(s.pool)', which this config removes: give \(s.count == 1 ? "it an owner" : "them owners") first ('clientele pool assign \(s.sample.joined(separator: " "))\(s.count > s.sample.count ? " ..." : "") --to USER'), or keep the pool",
                    at: nil))
        }

        let plan = Plan(
            appliedVersion: appliedNumber, version: appliedNumber + 1, diff: diff, errors: errors.sortedByLocation(),
            notes: notes,
            data: data, access: access, pools: pools, configHash: hash(files: files), dataHash: store.dataHash)
        return (
            plan,
            PlanContext(applied: applied, new: new, files: files, inheritance: inheritance, migrations: migrations)
        )
    }

    /// Existing campaign packages keep what they inherited (renamed along with
    /// `was:`); packages new in this version inherit every main-table field of it.
    static func newInheritance(diff: ConfigDiff, old: Model, new: Model, oldInheritance: PackageInheritance)
        -> PackageInheritance
    {
        var renames: [String: String] = [:]
        for m in diff.matchedFields where m.renamed && m.new.origin == .mainTable {
            for (a, b) in zip(m.old.identities, m.new.identities) { renames[a] = b }
        }
        var inherited: [String: Set<String>] = [:]
        for p in new.schema.packages where p.module == .campaign {
            let mainNow = new.schema.customizations.filter {
                $0.team == p.team && $0.table == p.table && $0.origin == .mainTable
            }.flatMap(\.identities)
            if old.schema.package(p.id) != nil {
                let mainBefore = old.schema.customizations.filter {
                    $0.team == p.team && $0.table == p.table && $0.origin == .mainTable
                }.flatMap(\.identities)
                let before = oldInheritance.inherited[p.id] ?? Set(mainBefore)
                inherited[p.id] = Set(before.map { renames[$0] ?? $0 })
            } else {
                inherited[p.id] = Set(mainNow)
            }
        }
        return PackageInheritance(inherited: inherited)
    }

    /// The customers as the new policy will read them: every document migrated as apply
    /// would migrate it (records a removed package takes along are left out).
    static func migratedTable(_ store: any CustomerStore, _ migrations: [RecordMigration], _ policy: AccessPolicy)
        throws(StoreError) -> CustomerTable
    {
        let table = policy.makeCustomerTable()
        let scanner = DataImpactScanner(migrations: migrations)
        let tally = DataImpactScanner.Tally()
        try store.forEachDocument { bytes in
            guard (try? tally.tape.parse(bytes)) != nil else { return }
            let found: (JSONValue, RecordMigration)? = tally.tape.withView(bytes: bytes) { view in
                scanner.inspect(view, order: 0, tally: tally).map { (view.value(0), $0) }
            }
            guard let (document, m) = found else {
                _ = table.addDocument(bytes)
                return
            }
            guard !m.removesRecords else { return }
            let migrated = Array(ConfigApplier.migrate(document, m).0.jsonText.utf8)
            _ = migrated.withUnsafeBufferPointer { table.addDocument($0) }
        }
        return table
    }

    /// Spec section 4's change rules, each pointing at the new config.
    static func changeRuleErrors(diff: ConfigDiff, old: Model, new: Model) -> [Diagnostic] {
        var errors: [Diagnostic] = []
        for m in diff.matchedFields {
            let label = m.new.label
            switch (m.old.origin, m.new.origin) {
            case (.mainTable, .packages):
                errors.append(
                    .error(
                        "field \(label) was created without packages, so it can never be given packages; to give packages a field of this identity, keep this one and add a second customization that names them",
                        at: m.new.location))
            case (.packages, .mainTable):
                errors.append(
                    .error(
                        "field \(label) was created for packages, so it cannot become a main-table field; add a main-table customization beside it instead",
                        at: m.new.location))
            case (.packages(let before), .packages(let after)):
                let gone = before.filter { !after.contains($0) }
                if !gone.isEmpty {
                    errors.append(
                        .error(
                            "field \(label) loses package\(gone.count == 1 ? "" : "s") \(gone.map { "'\($0)'" }.joined(separator: ", ")): a field's packages only grow; put \(gone.count == 1 ? "it" : "them") back in its 'packages'",
                            at: m.new.location))
                }
            default: break
            }
            let a = m.old.spec.base
            let b = m.new.spec.base
            if a != b && !(Set([a, b]) == Set([BaseType.input, .select])) {
                errors.append(
                    .error(
                        "field \(label) cannot change type from \(a.rawValue) to \(b.rawValue): only input and select change into each other; add a new field instead",
                        at: m.new.location))
            }
        }
        for field in diff.addedFields {
            // The same identity leaving one table of the team and arriving in another is a move, which spec section 4
            // forbids.
            if field.was == nil,
                let moved = diff.removedFields.first(where: {
                    $0.team == field.team && $0.table != field.table && $0.identities == field.identities
                })
            {
                errors.append(
                    .error(
                        "field \(field.label) moves from the \(moved.table.rawValue) table to the \(field.table.rawValue) table of team '\(field.team ?? "")': a field's table never changes (its values stay with the \(moved.table.rawValue) customers); give the new field another identity, or apply the removal first",
                        at: field.location))
            }
            guard let was = field.was else { continue }
            let elsewhere = old.schema.customizations.first { $0.identities.contains(was) }
            if let o = elsewhere, o.team != field.team || o.table != field.table {
                errors.append(
                    .error(
                        "field \(field.label) says 'was: \(was)', but '\(was)' belongs to the \(o.table.rawValue) table of team '\(o.team ?? "")': identity, team and table never change",
                        at: field.location))
            } else if elsewhere == nil {
                errors.append(
                    .error(
                        "field \(field.label) says 'was: \(was)', but the applied config has no field '\(was)' in the \(field.table.rawValue) table of team '\(field.team ?? "")'; remove 'was:' to add a new field",
                        at: field.location))
            }
        }
        for change in diff.changes where change.entity == "package" && change.kind == .changed {
            if change.details.contains(where: { $0.hasPrefix("team:") || $0.hasPrefix("table:") }) {
                errors.append(
                    .error(
                        "package '\(change.id)' cannot move to another team or table; create a new package instead",
                        at: change.location))
            }
        }
        return errors
    }

    /// For each new main-table field: which existing packages do not get it, and what to add if they should.
    static func inheritanceNotes(diff: ConfigDiff, old: Model, new: Model) -> [String] {
        var notes: [String] = []
        for field in diff.addedFields where field.origin == .mainTable {
            let existing = new.schema.packages.filter {
                $0.team == field.team && $0.table == field.table && $0.module == .campaign
                    && old.schema.package($0.id) != nil
            }
            let fresh = new.schema.packages.filter {
                $0.team == field.team && $0.table == field.table && $0.module == .campaign
                    && old.schema.package($0.id) == nil
            }
            var note =
                "field \(field.label) is added to the \(field.table.rawValue) table of team '\(field.team ?? "")' and to the packages created from now on"
            if !fresh.isEmpty {
                note +=
                    " (\(fresh.map { "'\($0.id)'" }.joined(separator: ", ")), new in this version, \(fresh.count == 1 ? "gets" : "get") it)"
            }
            if existing.isEmpty {
                notes.append(note + ".")
            } else {
                let ids = existing.map(\.id)
                notes.append(
                    note
                        + "; the existing package\(ids.count == 1 ? "" : "s") \(ids.map { "'\($0)'" }.joined(separator: ", ")) \(ids.count == 1 ? "does" : "do") not get it. To give it to \(ids.count == 1 ? "that package" : "them"), add a customization of '\(field.identity)' with packages: [\(ids.joined(separator: ", "))]."
                )
            }
        }
        return notes
    }
}

/// Work done on a thread of its own while the caller goes on; `value()` waits for it.
final class Beside<T: Sendable>: @unchecked Sendable {
    private var result: T?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> T) {
        Thread.detachNewThread { [self] in
            result = work()
            done.signal()
        }
    }

    /// The result, once the work is done (read after the semaphore, which orders the write before it).
    func value() -> T {
        done.wait()
        done.signal()
        return result!
    }
}
