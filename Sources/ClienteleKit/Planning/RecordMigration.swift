import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// What a new config does to the stored records of one team, table and package:
/// values renamed (`was:`), option values rewritten, values lost, values the new
/// definitions refuse, required values missing, defaults filled in.
final class RecordMigration: Sendable {
    let type: RecordType
    var team: String { type.team }
    var table: TableKind { type.table }
    var package: String? { type.package }
    /// The package (or the team) is gone from the new config: its records are removed.
    let removesRecords: Bool
    /// What removes them, for the plan and the log: `package` or `team`.
    let removedWith: String
    /// old identity -> new identity.
    let renames: [String: String]
    /// Identities whose values the new config drops (field removed here).
    let dropped: [String: Field]
    /// new identity -> (old option value -> new value).
    let remaps: [String: [String: String]]
    /// new identity -> values that are no option any more and cannot be typed in.
    let lostOptions: [String: Set<String>]
    /// new identity -> the check its values must pass (fields whose definition changed or that this record type gains).
    let checks: [String: FieldValueCheck]
    /// Fields the records must now give (newly required, or gained and required).
    let required: [Field]
    /// Fields this record type gains that have a default: filled in where the record has no value.
    let defaults: [(identity: String, value: JSONValue, field: Field)]
    /// Unique fields whose values must be compared again, by identity: newly unique
    /// ones, and unique ones whose values the change may make equal (options merged by
    /// `was:`, another `normalize:`, a default filled in).
    let unique: [String: Field]
    /// Fields whose type changes from input to select (stray values are reported separately).
    let becameSelect: Set<String>

    /// The identities a record's values are read for, looked up from their bytes.
    let interest: ByteKeyTable
    /// What to do with a value, by its slot in `interest` (looked up once here, not per record).
    let slots: [Slot]
    /// Whether a record's given identities must be tracked (for required fields and defaults).
    let tracksPresence: Bool

    /// One identity a record's values are read for, what the change does to its
    /// value, and the keys of the plan's counters it adds to (made once, not per record).
    /// A class: a record reads one per value, and copying a struct of strings and
    /// tables retained each of them.
    final class Slot: Sendable {
        /// The identity the value has in the new config (`name` unless renamed by `was:`).
        let identity: String
        /// The slot of `identity`, when it is renamed and tracked.
        let identitySlot: Int?
        let unique: Field?
        let remap: [String: String]?
        let lostOptions: Set<String>?
        let check: FieldValueCheck?
        /// Values dropped (the field is removed here).
        let droppedKey: DataImpactScanner.CounterKey?
        let renamedKey: DataImpactScanner.CounterKey?
        let remappedKey: DataImpactScanner.CounterKey?
        let lostOptionsKey: DataImpactScanner.CounterKey?
        let invalidKey: DataImpactScanner.CounterKey?

        init(
            identity: String, identitySlot: Int?, unique: Field?, remap: [String: String]?, lostOptions: Set<String>?,
            check: FieldValueCheck?, droppedKey: DataImpactScanner.CounterKey?,
            renamedKey: DataImpactScanner.CounterKey?, remappedKey: DataImpactScanner.CounterKey?,
            lostOptionsKey: DataImpactScanner.CounterKey?, invalidKey: DataImpactScanner.CounterKey?
        ) {
            self.identity = identity
            self.identitySlot = identitySlot
            self.unique = unique
            self.remap = remap
            self.lostOptions = lostOptions
            self.check = check
            self.droppedKey = droppedKey
            self.renamedKey = renamedKey
            self.remappedKey = remappedKey
            self.lostOptionsKey = lostOptionsKey
            self.invalidKey = invalidKey
        }
    }

    /// Whether records of this type need reading at all.
    var isEmpty: Bool {
        !removesRecords && renames.isEmpty && dropped.isEmpty && remaps.isEmpty && lostOptions.isEmpty && checks.isEmpty
            && required.isEmpty && defaults.isEmpty && unique.isEmpty
    }

    init(
        team: String, table: TableKind, package: String?, old: CustomerSchema, oldInheritance: PackageInheritance,
        new: CustomerSchema, newInheritance: PackageInheritance, teamRemains: Bool = true
    ) {
        type = RecordType(team: team, table: table, package: package)
        let before = old.fields(team: team, table: table, package: package, inheritance: oldInheritance)
        removesRecords = !teamRemains || (package != nil && new.package(package!) == nil)
        removedWith = teamRemains ? "package" : "team"
        var renames: [String: String] = [:]
        var dropped: [String: Field] = [:]
        var remaps: [String: [String: String]] = [:]
        var lostOptions: [String: Set<String>] = [:]
        var checks: [String: FieldValueCheck] = [:]
        var required: [Field] = []
        var defaults: [(String, JSONValue, Field)] = []
        var unique: [String: Field] = [:]
        var becameSelect = Set<String>()
        if !removesRecords {
            let after = new.fields(team: team, table: table, package: package, inheritance: newInheritance)
            var oldByIdentity: [String: Field] = [:]
            for f in before { for i in f.identities { oldByIdentity[i] = f } }
            var claimed = Set<String>()
            // An identity the record type still has is not renamed away (a package's own field of the old name).
            let kept = Set(after.flatMap(\.identities))
            for f in after {
                // The field's identities in the old record type: the same, or those it was renamed from.
                var source: Field?
                if let o = oldByIdentity[f.identity], o.identities == f.identities {
                    source = o
                } else if let was = f.was, !kept.contains(was), let o = oldByIdentity[was], o.identities.count == 1,
                    f.identities.count == 1
                {
                    source = o
                    renames[was] = f.identity
                } else if f.identities.count == 1,
                    let o = before.first(where: { $0.was == f.identity && $0.identities.count == 1 })
                {
                    // A rename undone (a rollback): the applied field says it was this one.
                    source = o
                    renames[o.identity] = f.identity
                }
                guard let source else {
                    checks[f.identity] = FieldValueCheck(field: f)
                    if f.required && f.defaultValue == nil { required.append(f) }
                    if let d = f.defaultValue, f.identities.count == 1 { defaults.append((f.identity, d, f)) }
                    if f.unique { unique[f.identity] = f }
                    continue
                }
                claimed.formUnion(source.identities)
                if ConfigDiff.describe(source.spec).map(\.1) != ConfigDiff.describe(f.spec).map(\.1)
                    || source.required != f.required
                {
                    checks[f.identity] = FieldValueCheck(field: f)
                }
                if f.required && !source.required {
                    if let d = f.defaultValue, f.identities.count == 1 {
                        defaults.append((f.identity, d, f))
                    } else {
                        required.append(f)
                    }
                }
                if f.unique
                    && (!source.unique || source.spec.normalize != f.spec.normalize
                        || f.defaultValue != nil && f.required && !source.required)
                {
                    unique[f.identity] = f
                }
                if source.spec.base == .input && f.spec.base == .select { becameSelect.insert(f.identity) }
                if f.spec.base == .select || f.spec.base == .multiselect {
                    var map: [String: String] = [:]
                    for option in f.spec.options {
                        for w in option.was where w != option.value { map[w] = option.value }
                    }
                    // Renames undone: an applied option that was one of the new options goes back to it.
                    let offered = Set(f.spec.options.map(\.value))
                    for option in source.spec.options where !offered.contains(option.value) {
                        if let back = option.was.first(where: offered.contains) { map[option.value] = back }
                    }
                    if !map.isEmpty {
                        remaps[f.identity] = map
                        if f.unique { unique[f.identity] = f }
                    }
                    if !f.spec.canEnter && (source.spec.base == .select || source.spec.base == .multiselect) {
                        let kept = Set(f.spec.options.map(\.value)).union(map.keys)
                        let gone = Set(source.spec.options.map(\.value)).subtracting(kept)
                        if !gone.isEmpty { lostOptions[f.identity] = gone }
                    }
                }
            }
            for f in before where !f.identities.contains(where: claimed.contains) {
                for i in f.identities { dropped[i] = f }
            }
        }
        self.renames = renames
        self.dropped = dropped
        self.remaps = remaps
        self.lostOptions = lostOptions
        self.checks = checks
        self.required = required
        self.defaults = defaults
        self.unique = unique
        self.becameSelect = becameSelect
        var names = Set(dropped.keys).union(renames.keys).union(renames.values).union(remaps.keys).union(
            lostOptions.keys
        )
        .union(checks.keys).union(unique.keys).union(defaults.map(\.0))
        for f in required { names.formUnion(f.identities) }
        let interestNames = names.sorted()
        let interest = ByteKeyTable(interestNames.enumerated().map { ($1, $0) })
        self.interest = interest
        let recordType = self.type
        func key(_ kind: DataImpact.Kind, _ field: String, _ what: String) -> DataImpactScanner.CounterKey {
            DataImpactScanner.CounterKey(kind: kind, type: recordType, field: field, what: what)
        }
        slots = interestNames.map { name in
            let identity = renames[name] ?? name
            let gone = dropped[name].map { field in
                key(
                    .lost, name,
                    "values of a field \(field.origin == .mainTable || field.origin == .standard ? "removed" : "no longer in this package")"
                )
            }
            let refused =
                becameSelect.contains(identity)
                ? "values that are not options (input -> select: give can_enter: true or was: mappings)"
                : "values the new definition refuses"
            return Slot(
                identity: identity, identitySlot: identity == name ? nil : interest.lookup(identity),
                unique: unique[identity], remap: remaps[identity], lostOptions: lostOptions[identity],
                check: checks[identity],
                droppedKey: gone,
                renamedKey: identity == name ? nil : key(.rewritten, identity, "values moved from '\(name)' (was:)"),
                remappedKey: remaps[identity] == nil ? nil : key(.rewritten, identity, "option values renamed (was:)"),
                lostOptionsKey: lostOptions[identity] == nil ? nil : key(.lost, identity, "values of options removed"),
                invalidKey: checks[identity] == nil ? nil : key(.invalid, identity, refused))
        }
        tracksPresence = !required.isEmpty || !defaults.isEmpty
    }
}
