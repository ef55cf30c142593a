import ClienteleCore
import ClienteleSpec

extension ModelBuilder {
    func resolveSchema(_ org: Organization) -> CustomerSchema {
        var schema = CustomerSchema()
        let teamIds = Set(org.teams.map(\.id))

        // Packages.
        checkDuplicates(d.packages.map { ($0.id.value, $0.id.location) }, kind: "package")
        for p in d.packages {
            let subject = "package '\(p.id.value)'"
            guard let team = p.team, resolve(team, in: teamIds, kind: "team", from: subject),
                let table = table(p.table, from: subject, customersOnly: true)
            else { continue }
            var module = Package.Module.campaign
            if let m = p.module {
                if let parsed = Package.Module(rawValue: m.value) {
                    module = parsed
                } else {
                    let names = Package.Module.allCases.map(\.rawValue)
                    diagnostics.error(
                        "\(subject) has module '\(m.value)'\(Suggestion.hint(m.value, in: names, listing: "modules"))",
                        at: m.location)
                }
            }
            schema.packages.append(
                Package(
                    id: p.id.value, name: p.name?.value, team: team.value, table: table, module: module,
                    location: p.location))
        }

        // Field types.
        checkDuplicates(d.fieldTypes.map { ($0.name.value, $0.name.location) }, kind: "field type")
        for t in d.fieldTypes {
            let subject = "field type '\(t.name.value)'"
            if BaseType(rawValue: t.name.value) != nil {
                diagnostics.error(
                    "field type '\(t.name.value)' has the name of a base type; give it another name",
                    at: t.name.location)
                continue
            }
            if !Identifier.isValidId(t.name.value) {
                diagnostics.error(
                    "'\(t.name.value)' is not a valid field type name: use letters, digits and . _ @ -",
                    at: t.name.location)
            }
            guard let baseName = t.base else { continue }
            guard let base = BaseType(rawValue: baseName.value) else {
                let names = BaseType.allCases.map(\.rawValue)
                diagnostics.error(
                    "\(subject) has base '\(baseName.value)', which is not a base type\(Suggestion.hint(baseName.value, in: names, listing: "base types"))",
                    at: baseName.location)
                continue
            }
            var spec = FieldSpec(base: base)
            spec.typeName = t.name.value
            apply(t.attributes, to: &spec, subject: subject)
            schema.fieldTypes[t.name.value] = spec
        }

        // Tables: numbering and standard fields.
        checkDuplicates(d.tables.map { ($0.name.value, $0.name.location) }, kind: "table")
        let standardByIdentity = Dictionary(
            loaded.standardFields.map { ($0.identity.value, $0) }, uniquingKeysWith: { a, _ in a })
        var adjustments: [TableKind: [StandardFieldAdjustment]] = [:]
        for t in d.tables {
            guard let kind = table(t.name, from: "'tables'") else { continue }
            if let n = t.number {
                let prefix = n.prefix?.value ?? ""
                if let p = n.prefix, !p.value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                    diagnostics.error(
                        "the number prefix of table '\(kind.rawValue)' may hold only letters and digits", at: p.location
                    )
                }
                var digits = 6
                if let dg = n.digits {
                    if (1...12).contains(dg.value) {
                        digits = dg.value
                    } else {
                        diagnostics.error(
                            "'digits' of table '\(kind.rawValue)' must be between 1 and 12 (it is \(dg.value))",
                            at: dg.location)
                    }
                }
                schema.numbering[kind] = Numbering(prefix: prefix, digits: digits)
            }
            if !t.standard.isEmpty {
                if !kind.isCustomerTable || loaded.standardFields.isEmpty {
                    let why =
                        kind.isCustomerTable
                        ? "this config does not extend 'standard-fields'" : "work orders have no standard fields"
                    diagnostics.error(
                        "table '\(kind.rawValue)' adjusts standard fields, but \(why)",
                        at: t.standard[0].identity.location)
                    continue
                }
                adjustments[kind, default: []].append(contentsOf: t.standard)
            }
        }
        if !loaded.standardFields.isEmpty {
            for kind in [TableKind.individual, .organization] {
                let adjusted = Dictionary(
                    adjustments[kind, default: []].map { ($0.identity.value, $0) }, uniquingKeysWith: { a, _ in a })
                for a in adjustments[kind, default: []] where standardByIdentity[a.identity.value] == nil {
                    diagnostics.error(
                        "table '\(kind.rawValue)' has no standard field '\(a.identity.value)'\(Suggestion.didYouMean(a.identity.value, in: standardByIdentity.keys))",
                        at: a.identity.location)
                }
                schema.standardFields[kind] = loaded.standardFields.compactMap { s in
                    standardField(s, adjustment: adjusted[s.identity.value], table: kind, schema: schema)
                }
            }
        }

        // Customizations.
        for f in d.fields {
            if let field = customization(f, org: org, schema: schema) { schema.customizations.append(field) }
        }
        checkLandings(schema)
        return schema
    }

    private func standardField(
        _ s: StandardFieldDecl, adjustment: StandardFieldAdjustment?, table: TableKind, schema: CustomerSchema
    ) -> Field? {
        let subject = "standard field '\(s.identity.value)'"
        guard let typeName = s.type, var spec = fieldSpec(named: typeName, schema: schema, subject: subject) else {
            return nil
        }
        apply(s.attributes, to: &spec, subject: subject)
        var required = s.attributes.required?.value ?? false
        var unique = s.attributes.unique?.value ?? false
        var defaultNode = s.attributes.defaultValue
        if let a = adjustment {
            apply(a.attributes, to: &spec, subject: "standard field '\(s.identity.value)' of table '\(table.rawValue)'")
            required = a.attributes.required?.value ?? required
            unique = a.attributes.unique?.value ?? unique
            defaultNode = a.attributes.defaultValue ?? defaultNode
        }
        finish(&spec, subject: subject, at: adjustment?.location ?? s.location)
        let display = adjustment?.display?.value ?? s.display?.value ?? s.identity.value
        return Field(
            identities: [s.identity.value], displays: [display], team: nil, table: table, origin: .standard,
            spec: spec, required: required, unique: unique, hidden: adjustment?.hidden?.value ?? false,
            defaultValue: defaultNode.flatMap { defaultValue($0, spec: spec, subject: subject) },
            defaultLocation: defaultNode?.location, was: nil, location: adjustment?.location ?? s.location)
    }

    private func fieldSpec(named name: Located<String>, schema: CustomerSchema, subject: String) -> FieldSpec? {
        if let base = BaseType(rawValue: name.value) { return FieldSpec(base: base) }
        if let spec = schema.fieldTypes[name.value] { return spec }
        let names = BaseType.allCases.map(\.rawValue) + schema.fieldTypes.keys.sorted()
        if !d.fieldTypes.contains(where: { $0.name.value == name.value }) {
            diagnostics.error(
                "\(subject) has type '\(name.value)', which is neither a base type nor a field type\(Suggestion.didYouMean(name.value, in: names))",
                at: name.location)
        }
        return nil
    }

    private func customization(_ f: FieldDecl, org: Organization, schema: CustomerSchema) -> Field? {
        let subject = f.subject
        let ok = checkIdentities(f)
        guard let team = f.team, resolve(team, in: org.teams.map(\.id), kind: "team", from: subject),
            let table = table(f.table, from: subject)
        else { return nil }

        var origin = FieldOrigin.mainTable
        if let packages = f.packages {
            if packages.isEmpty {
                diagnostics.error(
                    "\(subject) has an empty 'packages' list; leave it out to add the field to the main table",
                    at: f.location)
            }
            var names: [String] = []
            for p in packages {
                guard resolve(p, in: schema.packages.map(\.id), kind: "package", from: subject),
                    let package = schema.package(p.value)
                else { continue }
                if package.team != team.value || package.table != table {
                    diagnostics.error(
                        "\(subject) is for team '\(team.value)', table '\(table.rawValue)', but package '\(p.value)' belongs to team '\(package.team)', table '\(package.table.rawValue)'",
                        at: p.location)
                    continue
                }
                names.append(p.value)
            }
            checkDuplicates(
                packages.map { ($0.value, $0.location) }, kind: "package", listedIn: "'packages' of \(subject)")
            origin = .packages(names)
        }
        return typedField(f, team: team.value, table: table, origin: origin, schema: schema, identitiesValid: ok)
    }

    /// Whether a field's identities may be used: valid, not a system key nor (where
    /// `standardFieldsApply`: a customer's) a standard field, each once.
    func checkIdentities(_ f: FieldDecl, standardFieldsApply: Bool = true) -> Bool {
        var ok = true
        for identity in f.identities {
            if Self.reservedIdentities.contains(identity.value) {
                diagnostics.error(
                    "'\(identity.value)' is reserved for a system key and cannot be a field identity",
                    at: identity.location)
                ok = false
            } else if !Identifier.isValidIdentity(identity.value) {
                diagnostics.error(
                    "'\(identity.value)' is not a valid field identity: use letters A-Z and a-z only",
                    at: identity.location)
                ok = false
            } else if standardFieldsApply,
                loaded.standardFields.contains(where: { $0.identity.value == identity.value })
            {
                diagnostics.error(
                    "'\(identity.value)' is a standard field; adjust it under 'tables: <table>: standard:' instead of adding it again",
                    at: identity.location)
                ok = false
            }
        }
        checkDuplicates(f.identities.map { ($0.value, $0.location) }, kind: "identity")
        return ok
    }

    /// The field a declaration makes once its place is known: its type resolved and
    /// refined, its identities matched to its levels and display names.
    func typedField(
        _ f: FieldDecl, team: String, table: TableKind, origin: FieldOrigin, schema: CustomerSchema,
        identitiesValid: Bool
    ) -> Field? {
        let subject = f.subject
        var ok = identitiesValid
        guard let typeName = f.type, var spec = fieldSpec(named: typeName, schema: schema, subject: subject) else {
            return nil
        }
        apply(f.attributes, to: &spec, subject: subject)
        finish(&spec, subject: subject, at: f.location)
        if spec.base == .relate, !spec.levels.isEmpty, spec.levels.count != f.identities.count {
            diagnostics.error(
                "\(subject) has \(f.identities.count) \(f.identities.count == 1 ? "identity" : "identities") but its type has \(spec.levels.count) levels (\(spec.levels.joined(separator: ", "))); give one identity per level",
                at: f.identities[0].location)
            ok = false
        } else if spec.base != .relate, f.identities.count > 1 {
            diagnostics.error(
                "\(subject) lists several identities, which only a relate field may do", at: f.identities[1].location)
            ok = false
        }
        var displays = f.displays.map(\.value)
        if displays.isEmpty { displays = f.identities.map(\.value) }
        if displays.count != f.identities.count {
            diagnostics.error(
                "\(subject) has \(f.identities.count) \(f.identities.count == 1 ? "identity" : "identities") but \(displays.count) display \(displays.count == 1 ? "name" : "names"); give one display name per identity",
                at: f.displays.first?.location ?? f.location)
            ok = false
        }
        if let was = f.was {
            if !Identifier.isValidIdentity(was.value) {
                diagnostics.error(
                    "'was' of \(subject) must be the old identity (letters only), not '\(was.value)'", at: was.location)
            } else if f.identities.contains(where: { $0.value == was.value }) {
                diagnostics.error(
                    "\(subject) is renamed from itself; remove 'was' or name the old identity", at: was.location)
            }
        }
        if spec.base == .area, let unique = f.attributes.unique, unique.value {
            diagnostics.error("\(subject) is an area, which cannot be unique", at: unique.location)
            ok = false
        }
        guard ok else { return nil }
        let defaultNode = f.attributes.defaultValue
        return Field(
            identities: f.identities.map(\.value), displays: displays, team: team, table: table, origin: origin,
            spec: spec, required: f.attributes.required?.value ?? false, unique: f.attributes.unique?.value ?? false,
            hidden: false, defaultValue: defaultNode.flatMap { defaultValue($0, spec: spec, subject: subject) },
            defaultLocation: defaultNode?.location, was: f.was?.value, location: f.location)
    }

    /// Two customizations may not land the same identity in the same table or package;
    /// a `was` rename may not name an identity that is still in use there.
    private func checkLandings(_ schema: CustomerSchema) {
        var landed: [String: (Field, SourceLocation)] = [:]
        for field in schema.customizations {
            var places: [String] = []
            switch field.origin {
            case .mainTable: places = ["the main \(field.table.rawValue) table of team '\(field.team ?? "")'"]
            case .packages(let list): places = list.map { "package '\($0)'" }
            case .standard: continue
            }
            for place in places {
                for identity in field.identities {
                    let key = place + "\u{0}" + identity
                    if let (earlier, location) = landed[key] {
                        diagnostics.error(
                            "field identity '\(identity)' is added to \(place) twice", at: field.location,
                            notes: [.init("\(earlier.label) first adds it here", at: location)])
                    } else {
                        landed[key] = (field, field.location)
                    }
                }
            }
        }
        // A rename clashes with a field of the same scope only: a main-table field may take
        // a new identity while a package keeps a customization of the old one.
        for field in schema.customizations {
            guard let was = field.was else { continue }
            let clash = schema.customizations.first { other in
                other.location != field.location && other.team == field.team && other.table == field.table
                    && other.identities.contains(was)
                    && other.sharesScope(with: field)
            }
            if let clash {
                diagnostics.error(
                    "field \(field.label) is renamed from '\(was)', but '\(was)' is still a field of the same table",
                    at: field.location,
                    notes: [.init("'\(was)' is defined here", at: clash.location)])
            }
        }
    }

    /// Converts a YAML default to the JSON value of the field's type; the record
    /// validator checks it against the field's refinements.
    func defaultValue(_ node: Node, spec: FieldSpec, subject: String) -> JSONValue? {
        switch spec.base {
        case .multiselect, .upload, .relate:
            if let items = node.sequence {
                return .array(
                    items.compactMap {
                        NodeValue.string($0, what: "each entry of the default of \(subject)", diagnostics).map {
                            .string($0.value)
                        }
                    })
            }
            if let s = node.scalar, !s.isNull { return .array([.string(s.text)]) }
        case .integer, .decimal:
            if let s = node.scalar, !s.isString, Double(s.text) != nil { return .number(s.text) }
            if let s = node.scalar { return .string(s.text) }
        case .boolean:
            if let s = node.scalar, !s.isString, s.text == "true" || s.text == "false" {
                return .bool(s.text == "true")
            }
            if let s = node.scalar { return .string(s.text) }
        default:
            if let s = node.scalar, !s.isNull { return .string(s.text) }
        }
        diagnostics.error("the default of \(subject) cannot be \(node.kindDescription)", at: node.location)
        return nil
    }
}
