import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// One difference between the applied config and the new one.
package struct ConfigChange: Sendable, Equatable {
    package enum Kind: String, Sendable { case added, removed, changed, renamed }
    package var kind: Kind
    /// What changed: team, department, role, user, package, field, option, field type, view, permission group, rule,
    /// pool, ...
    package var entity: String
    /// Its id; for an option, `field: value`; for a field, `team/table/identity`.
    package var id: String
    /// "type: input -> select", one per changed property.
    package var details: [String]
    /// Where it is in the new config (in the applied one, when removed).
    package var location: SourceLocation?
}

/// A field of the applied config paired with its counterpart in the new one.
package struct FieldMatch: Sendable {
    package var old: Field
    package var new: Field
    package var renamed: Bool { old.identities != new.identities }
}

/// The differences between two models, entity by entity, each described by its
/// properties as text so that a change can say what changed.
package struct ConfigDiff: Sendable {
    package var changes: [ConfigChange] = []
    /// Customizations present in both, paired by identity or by `was:`.
    package var matchedFields: [FieldMatch] = []
    package var addedFields: [Field] = []
    package var removedFields: [Field] = []
    /// Identities of the standard fields added, removed or redefined (options renamed by `was:` included).
    package var changedStandardIdentities: Set<String> = []

    package init(old: Model, new: Model) {
        let o = old.organization
        let n = new.organization
        if old.binDays != new.binDays {
            changes.append(
                ConfigChange(
                    kind: .changed, entity: "bin", id: "days", details: ["days: \(old.binDays) -> \(new.binDays)"],
                    location: nil))
        }
        compare("team", o.teams, n.teams, id: \.id, location: \.location) { [("name", $0.name ?? "")] }
        compare("department", o.departments, n.departments, id: \.id, location: \.location) {
            [("name", $0.name ?? ""), ("parent", $0.parent ?? "")]
        }
        compare("role", o.roles, n.roles, id: \.id, location: \.location) { [("name", $0.name ?? "")] }
        compare("user", o.users, n.users, id: \.id, location: \.location) { u in
            [
                ("name", u.name ?? ""), ("teams", Self.list(u.teams)), ("department", u.department ?? ""),
                ("roles", Self.list(u.roles)),
                ("manager", u.manager ?? ""), ("active", String(u.active)),
            ]
        }
        compare("package", old.schema.packages, new.schema.packages, id: \.id, location: \.location) { p in
            [("name", p.name ?? ""), ("team", p.team), ("table", p.table.rawValue), ("module", p.module.rawValue)]
        }
        let oldTypes = old.schema.fieldTypes.sorted { $0.key < $1.key }
        let newTypes = new.schema.fieldTypes.sorted { $0.key < $1.key }
        compare(
            "field type", oldTypes, newTypes, id: \.key, location: { _ in nil }, describe: { Self.describe($0.value) })
        for kind in TableKind.allCases {
            compare(
                "standard field", old.schema.standardFields[kind] ?? [], new.schema.standardFields[kind] ?? [],
                id: { "\(kind.rawValue)/\($0.identity)" }, location: \.location, describe: Self.describe)
            let before = old.schema.standardFields[kind] ?? []
            let after = new.schema.standardFields[kind] ?? []
            func text(_ field: Field?) -> [String]? { field.map { Self.describe($0).map { "\($0.0)=\($0.1)" } } }
            for field in before + after
            where text(before.first { $0.identity == field.identity })
                != text(after.first { $0.identity == field.identity })
            {
                changedStandardIdentities.formUnion(field.identities)
            }
        }
        compareFields(old.schema.customizations, new.schema.customizations)
        compare("view", old.views, new.views, id: \.id, location: \.location) { v in
            [
                ("name", v.name ?? ""), ("module", v.module.rawValue), ("team", v.team), ("table", v.table.rawValue),
                ("package", v.package ?? ""),
                ("order", Self.list(v.order)), ("hidden", Self.list(v.hidden)),
                ("background_fields", Self.list(v.backgroundFields)),
                ("agent_fields", Self.list(v.agentFields)),
            ]
        }
        compare("permission group", old.permissionGroups, new.permissionGroups, id: \.id, location: \.location) { g in
            [
                ("name", g.name ?? ""), ("team", g.team ?? ""), ("roles", Self.list(g.roles)),
                ("users", Self.list(g.users)),
                ("departments", g.departments.map(Self.list) ?? "any"),
                ("packages", g.packages.map(Self.list) ?? "any"),
                ("where", g.customerFilter?.text ?? ""), ("grants", Self.list(g.grants.map(\.rawValue))),
            ]
        }
        compare("rule", old.rules, new.rules, id: \.id, location: \.location) { r in
            [("effect", Self.describe(r.effect)), ("when", r.when?.text ?? ""), ("unless", r.unless?.text ?? "")]
        }
        let oldFieldRules = old.fieldRules.enumerated().map { ($1.id ?? "#\($0 + 1)", $1) }
        let newFieldRules = new.fieldRules.enumerated().map { ($1.id ?? "#\($0 + 1)", $1) }
        compare("field rule", oldFieldRules, newFieldRules, id: \.0, location: \.1.location) { pair in
            let r = pair.1
            return [
                ("roles", Self.list(r.roles)), ("users", Self.list(r.users)), ("team", r.team ?? ""),
                ("table", r.table?.rawValue ?? ""),
                ("packages", r.packages.map(Self.list) ?? "any"), ("read", r.read.map(Self.list) ?? "all"),
                ("write", r.write.map(Self.list) ?? "all"),
                ("mask", Self.list(r.mask.map { "\($0.field):\($0.mask.rawValue)" })),
                ("when", r.when?.text ?? ""),
            ]
        }
        compare("validation rule", old.validationRules, new.validationRules, id: \.id, location: \.location) { r in
            [
                ("team", r.team ?? ""), ("table", r.table.rawValue), ("package", r.package ?? ""),
                ("when", r.when.text), ("message", r.message), ("fields", Self.list(r.fields)),
            ]
        }
        compare("list", old.lists, new.lists, id: \.id, location: \.location) { l in
            [
                ("name", l.name ?? ""), ("team", l.team ?? ""), ("table", l.table.rawValue),
                ("package", l.package ?? ""), ("where", l.filter?.text ?? ""), ("columns", Self.list(l.columns)),
                ("sort", Self.list(l.sort.map { ($0.descending ? "-" : "") + $0.key })),
                ("visible_to", l.visibleTo.map(Self.describe) ?? "everyone"),
            ]
        }
        compare("duplicate rule", old.duplicates, new.duplicates, id: \.id, location: \.location) { r in
            [
                ("team", r.team ?? ""), ("table", r.table.rawValue), ("package", r.package ?? ""),
                ("match", Self.list(r.match)), ("normalize", r.normalize?.rawValue ?? ""),
                ("fuzzy", r.fuzzy.map { String($0) } ?? ""), ("on_add", r.onAdd.rawValue),
            ]
        }
        compare("related kind", old.related, new.related, id: \.id, location: \.location) { k in
            [
                ("name", k.name ?? ""), ("team", k.team), ("parent", Self.list(k.parents.map(\.rawValue))),
                ("number", "\(k.numbering.prefix) \(k.numbering.digits)"), ("access", k.access.rawValue),
                ("within", k.within ?? ""), ("fields", Self.list(k.fields.map(\.identity))),
            ]
                // Each field as a table's field is compared: every key of its definition.
                + k.fields.map { field in
                    (
                        "field \(field.identity)",
                        Self.describe(field).filter { !$0.1.isEmpty && $0.0 != "packages" }.map { "\($0.0): \($0.1)" }
                            .joined(separator: "; ")
                    )
                }
        }
        compare("pool", old.pools, new.pools, id: \.id, location: \.location) { p in
            [
                ("name", p.name ?? ""), ("team", p.team), ("admins", Self.describe(p.admins)),
                ("members", Self.describe(p.members)),
                ("receives", Self.describe(p.receives)), ("max_held", Self.number(p.maxHeld)),
                ("max_per_day", Self.number(p.maxPerDay)),
                ("cooldown_days", Self.number(p.cooldownDays)), ("reasons", Self.list(p.reasons)),
                ("require_reason", String(p.requireReason)),
                ("no_followup_days", Self.number(p.noFollowupDays)), ("no_deal_days", Self.number(p.noDealDays)),
                ("warn_days_before", Self.number(p.warnDaysBefore)), ("exempt_tags", Self.list(p.exemptTags)),
                ("hide_in_pool", Self.list(p.hideInPool)),
            ]
        }
    }

    package var isEmpty: Bool { changes.isEmpty }

    /// Pairs by id; each pair whose properties differ is a change listing the properties.
    private mutating func compare<T>(
        _ entity: String, _ old: [T], _ new: [T], id: (T) -> String, location: (T) -> SourceLocation?,
        describe: (T) -> [(String, String)]
    ) {
        var oldById: [String: T] = [:]
        for item in old { oldById[id(item)] = item }
        let newIds = Set(new.map(id))
        for item in new {
            let key = id(item)
            guard let before = oldById[key] else {
                changes.append(
                    ConfigChange(kind: .added, entity: entity, id: key, details: [], location: location(item)))
                continue
            }
            let details = Self.differences(describe(before), describe(item))
            if !details.isEmpty {
                changes.append(
                    ConfigChange(kind: .changed, entity: entity, id: key, details: details, location: location(item)))
            }
        }
        for item in old where !newIds.contains(id(item)) {
            changes.append(
                ConfigChange(kind: .removed, entity: entity, id: id(item), details: [], location: location(item)))
        }
    }

    static func differences(_ a: [(String, String)], _ b: [(String, String)]) -> [String] {
        var result: [String] = []
        for (k, (name, before)) in a.enumerated() where k < b.count && b[k].1 != before {
            result.append("\(name): \(before.isEmpty ? "(none)" : before) -> \(b[k].1.isEmpty ? "(none)" : b[k].1)")
        }
        return result
    }

    /// Customizations pair by team, table and identity (or `was:`), and by scope:
    /// a main-table field with a main-table field, a package field with one sharing a package.
    private mutating func compareFields(_ old: [Field], _ new: [Field]) {
        var unmatched = Array(old.indices)
        func scopeMatches(_ a: Field, _ b: Field) -> Bool { a.sharesScope(with: b) }
        func take(_ predicate: (Field) -> Bool) -> Field? {
            guard let k = unmatched.firstIndex(where: { predicate(old[$0]) }) else { return nil }
            return old[unmatched.remove(at: k)]
        }
        var pending: [Field] = []
        for field in new {
            let same: (Field) -> Bool = {
                $0.team == field.team && $0.table == field.table && $0.identities == field.identities
            }
            if let o = take({ same($0) && scopeMatches($0, field) }) {
                matchedFields.append(FieldMatch(old: o, new: field))
            } else {
                pending.append(field)
            }
        }
        // Second pass: renames, then a change of scope (which the change rules refuse, but is still the same field).
        for field in pending {
            if let was = field.was,
                let o = take({
                    $0.team == field.team && $0.table == field.table && $0.identity == was && scopeMatches($0, field)
                })
            {
                matchedFields.append(FieldMatch(old: o, new: field))
            } else if let o = take({
                $0.team == field.team && $0.table == field.table && $0.was == field.identity && scopeMatches($0, field)
            }) {
                matchedFields.append(FieldMatch(old: o, new: field))
            } else if let o = take({
                $0.team == field.team && $0.table == field.table && $0.identities == field.identities
            }) {
                matchedFields.append(FieldMatch(old: o, new: field))
            } else {
                addedFields.append(field)
            }
        }
        removedFields = unmatched.map { old[$0] }
        for field in addedFields {
            changes.append(
                ConfigChange(
                    kind: .added, entity: "field", id: Self.fieldId(field),
                    details: Self.describe(field).filter { !$0.1.isEmpty && $0.1 != "false" }.map {
                        "\($0.0): \($0.1)"
                    },
                    location: field.location))
        }
        for match in matchedFields {
            var details = Self.differences(
                Self.describe(match.old).filter { $0.0 != "options" },
                Self.describe(match.new).filter { $0.0 != "options" })
            if match.renamed {
                details.insert(
                    "identity: \(match.old.identities.joined(separator: "/")) -> \(match.new.identities.joined(separator: "/"))",
                    at: 0)
            }
            if !details.isEmpty {
                changes.append(
                    ConfigChange(
                        kind: match.renamed ? .renamed : .changed, entity: "field", id: Self.fieldId(match.new),
                        details: details, location: match.new.location))
            }
            compareOptions(match)
        }
        for field in removedFields {
            changes.append(
                ConfigChange(
                    kind: .removed, entity: "field", id: Self.fieldId(field), details: [], location: field.location))
        }
    }

    private mutating func compareOptions(_ match: FieldMatch) {
        let before = match.old.spec.options
        let after = match.new.spec.options
        guard !before.isEmpty || !after.isEmpty else { return }
        let field = Self.fieldId(match.new)
        let oldValues = Set(before.map(\.value))
        var carried = Set<String>()
        for option in after {
            if oldValues.contains(option.value) {
                carried.insert(option.value)
                continue
            }
            let undone = before.filter { $0.was.contains(option.value) }.map(\.value)
            let from = option.was.filter(oldValues.contains) + undone
            carried.formUnion(from)
            if from.isEmpty {
                changes.append(
                    ConfigChange(
                        kind: .added, entity: "option", id: "\(field): \(option.value)", details: [],
                        location: match.new.location))
            } else {
                changes.append(
                    ConfigChange(
                        kind: .renamed, entity: "option", id: "\(field): \(option.value)",
                        details: ["was: \(from.joined(separator: ", "))"], location: match.new.location))
            }
        }
        for option in before where !carried.contains(option.value) {
            changes.append(
                ConfigChange(
                    kind: .removed, entity: "option", id: "\(field): \(option.value)", details: [],
                    location: match.new.location))
        }
    }

    /// `sales/individual/level`, with the packages of a package field: `sales/individual[spring]/level`.
    package static func fieldId(_ f: Field) -> String {
        let scope: String
        switch f.origin {
        case .packages(let list): scope = "[\(list.joined(separator: ","))]"
        default: scope = ""
        }
        return "\(f.team ?? "*")/\(f.table.rawValue)\(scope)/\(f.identities.joined(separator: "/"))"
    }

    static func describe(_ f: Field) -> [(String, String)] {
        let scope: String
        switch f.origin {
        case .standard: scope = "standard"
        case .mainTable: scope = "main table"
        case .packages(let list): scope = list.joined(separator: ", ")
        }
        var result: [(String, String)] = [("display", f.displays.joined(separator: "/")), ("packages", scope)]
        result += describe(f.spec)
        result += [
            ("required", String(f.required)), ("unique", String(f.unique)), ("hidden", String(f.hidden)),
            ("default", f.defaultValue?.jsonText ?? ""),
        ]
        return result
    }

    static func describe(_ s: FieldSpec) -> [(String, String)] {
        [
            ("type", s.typeName.map { "\($0) (\(s.base.rawValue))" } ?? s.base.rawValue),
            ("max_length", number(s.maxLength)),
            ("pattern", s.pattern ?? ""), ("format", s.format?.rawValue ?? ""),
            ("normalize", s.normalize?.rawValue ?? ""),
            ("options", list(s.options.map(\.value))), ("can_enter", String(s.canEnter)), ("min", s.min?.text ?? ""),
            ("max", s.max?.text ?? ""),
            ("scale", number(s.scale)), ("extensions", list(s.extensions)), ("max_size", number(s.maxSize)),
            ("max_files", number(s.maxFiles)),
            ("levels", list(s.levels)), ("tree", s.tree.map { "\($0.order.count) top-level entries" } ?? ""),
        ]
    }

    static func describe(_ e: Rule.Effect) -> String {
        switch e {
        case .allow(let actions): "allow " + list(actions.map(\.rawValue))
        case .allowGranted: "allow granted"
        case .deny(let actions): "deny " + list(actions.map(\.rawValue))
        }
    }

    static func describe(_ s: Selector) -> String {
        [("users", s.users), ("departments", s.departments), ("roles", s.roles)].filter { !$0.1.isEmpty }
            .map { "\($0.0): \(list($0.1))" }.joined(separator: "; ")
    }

    static func list(_ items: [String]) -> String { items.isEmpty ? "" : "[" + items.joined(separator: ", ") + "]" }
    static func number(_ n: Int?) -> String { n.map(String.init) ?? "" }
}
