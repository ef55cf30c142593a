import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec

/// One field as the applied version defines it: what an administrator hands to
/// another team (`clientele describe`).
package struct DescribedField: Sendable {
    package var team: String
    package var table: TableKind
    /// The package whose own field it is; nil for a field of the main table.
    package var package: String?
    package var identity: String
    package var display: String
    /// The field type's name, or its base type.
    package var type: String
    package var required: Bool
    package var unique: Bool
    package var hidden: Bool
    package var options: [String]
    /// The packages whose records have it (for a main-table field, those that inherit it).
    package var packages: [String]
    /// The active users who may read it unmasked, who see it masked, and who may write it;
    /// nil means every active user.
    package var readers: [String]?
    package var masked: [String]
    package var writers: [String]?

    package var json: JSONValue {
        func users(_ list: [String]?) -> JSONValue {
            list.map { .array($0.map(JSONValue.string)) } ?? .string("everyone")
        }
        return .object([
            ("team", .string(team)), ("table", .string(table.rawValue)),
            ("package", package.map(JSONValue.string) ?? .null),
            ("identity", .string(identity)), ("display", .string(display)), ("type", .string(type)),
            ("required", .bool(required)), ("unique", .bool(unique)), ("hidden", .bool(hidden)),
            ("options", .array(options.map(JSONValue.string))), ("packages", .array(packages.map(JSONValue.string))),
            ("read", users(readers)), ("masked", .array(masked.map(JSONValue.string))), ("write", users(writers)),
        ])
    }
}

/// The effective field definitions of a config, with who may read and write each field
/// by the field rules (decided as for a customer with no values: a field rule's `when`
/// that reads values is decided on none).
package enum FieldCatalog {
    package static func describe(
        _ config: CompiledConfig, inheritance: PackageInheritance, team: String? = nil, table: TableKind? = nil,
        package: String? = nil
    ) throws(OperationError) -> [DescribedField] {
        let schema = config.model.schema
        let teams = config.model.organization.teams.map(\.id)
        if let team, !teams.contains(team) {
            throw .invalid(["there is no team '\(team)'\(Suggestion.didYouMean(team, in: teams))"])
        }
        var chosen: Package?
        if let package {
            guard let p = schema.package(package) else {
                throw .invalid([
                    "there is no package '\(package)'\(Suggestion.didYouMean(package, in: schema.packages.map(\.id)))"
                ])
            }
            if let table, p.table != table {
                throw .invalid([
                    "package '\(package)' belongs to the \(p.table.rawValue) table, not to \(table.rawValue)"
                ])
            }
            if let team, p.team != team {
                throw .invalid(["package '\(package)' belongs to team '\(p.team)', not to '\(team)'"])
            }
            chosen = p
        }
        var result: [DescribedField] = []
        for t in teams where (team ?? chosen?.team ?? t) == t {
            for kind in TableKind.allCases where (table ?? chosen?.table ?? kind) == kind {
                let packages = schema.packages.filter { $0.team == t && $0.table == kind }
                let packageFields = Dictionary(
                    uniqueKeysWithValues: packages.map {
                        ($0.id, schema.fields(team: t, table: kind, package: $0.id, inheritance: inheritance))
                    })
                if let chosen {
                    result += rows(
                        config, team: t, table: kind, package: chosen.id, fields: packageFields[chosen.id] ?? [],
                        packages: { _ in [chosen.id] })
                    continue
                }
                // A package's own definition (a customization naming it) is listed under the package;
                // the main table's fields list the packages that have them as the main table does.
                func own(_ field: Field) -> Bool {
                    if case .packages = field.origin { return true } else { return false }
                }
                let main = schema.fields(team: t, table: kind, package: nil, inheritance: inheritance)
                result += rows(config, team: t, table: kind, package: nil, fields: main) { identity in
                    packages.filter { p in
                        packageFields[p.id]?.contains { $0.identity == identity && !own($0) } == true
                    }.map(\.id)
                }
                for p in packages {
                    result += rows(
                        config, team: t, table: kind, package: p.id, fields: (packageFields[p.id] ?? []).filter(own)
                    ) { _ in [p.id] }
                }
            }
        }
        return result
    }

    static func rows(
        _ config: CompiledConfig, team: String, table: TableKind, package: String?, fields: [Field],
        packages: (String) -> [String]
    ) -> [DescribedField] {
        guard !fields.isEmpty else { return [] }
        let policy = config.access
        let org = policy.org
        let probe = policy.customerTable(
            of: .object([
                ("id", .string("-")), ("team", .string(team)), ("table", .string(table.rawValue)),
                ("package", package.map(JSONValue.string) ?? .null), ("fields", .object([])),
            ]))
        let active = org.userIds.indices.filter { org.userActive[$0] }
        let access = active.map {
            policy.fieldAccess(user: $0, customer: 0, in: probe, now: Timestamp.currentSeconds())
        }
        func users(_ allowed: (FieldAccess) -> Bool) -> [String]? {
            let chosen = zip(active, access).filter { allowed($0.1) }.map { org.userIds[$0.0] }
            return chosen.count == active.count ? nil : chosen
        }
        return fields.flatMap { field in
            field.identities.enumerated().map { k, identity in
                DescribedField(
                    team: team, table: table, package: package, identity: identity,
                    display: k < field.displays.count ? field.displays[k] : identity,
                    type: field.spec.typeName ?? field.spec.base.rawValue, required: field.required,
                    unique: field.unique, hidden: field.hidden, options: field.spec.options.map(\.value),
                    packages: packages(field.identity),
                    readers: field.hidden ? [] : users { $0.canRead(identity) && $0.masks[identity] == nil },
                    masked: field.hidden
                        ? []
                        : users { $0.canRead(identity) && $0.masks[identity] != nil } ?? active.map { org.userIds[$0] },
                    writers: field.hidden ? [] : users { $0.canWrite(identity) })
            }
        }
    }
}
