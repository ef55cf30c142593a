import ClienteleCore
import ClienteleSpec

extension ModelBuilder {
    func resolveViews(_ org: Organization, _ schema: CustomerSchema) -> [View] {
        checkDuplicates(d.views.map { ($0.id.value, $0.id.location) }, kind: "view")
        return d.views.compactMap { v in
            let subject = "view '\(v.id.value)'"
            guard let moduleName = v.module else { return nil }
            guard let module = View.Module(rawValue: moduleName.value) else {
                let names = View.Module.allCases.map(\.rawValue)
                diagnostics.error(
                    "\(subject) has module '\(moduleName.value)'\(Suggestion.hint(moduleName.value, in: names, listing: "view modules"))",
                    at: moduleName.location)
                return nil
            }
            var team: String
            var table: TableKind
            var package: String?
            switch module {
            case .campaign where v.package == nil && v.table != nil:
                // Seed 000: the campaign module also works over the main table's customers.
                guard let tb = self.table(v.table, from: subject) else { return nil }
                if let t = v.team {
                    guard resolve(t, in: org.teams.map(\.id), kind: "team", from: subject) else { return nil }
                    team = t.value
                } else if org.teams.count == 1 {
                    team = org.teams[0].id
                } else {
                    diagnostics.error(
                        "\(subject) is a campaign view over the \(tb.rawValue) table and needs 'team' (the config has several teams)",
                        at: v.location)
                    return nil
                }
                table = tb
            case .campaign:
                guard let p = v.package else {
                    diagnostics.error(
                        "\(subject) is a campaign view and needs 'package' (a campaign list) or 'table' (the main table's customers)",
                        at: v.location)
                    return nil
                }
                guard resolve(p, in: schema.packages.map(\.id), kind: "package", from: subject),
                    let found = schema.package(p.value)
                else { return nil }
                team = found.team
                table = found.table
                package = found.id
                for (key, given) in [("team", v.team), ("table", v.table)] {
                    if let given, given.value != (key == "team" ? team : table.rawValue) {
                        diagnostics.error(
                            "\(subject) names \(key) '\(given.value)', but its package '\(found.id)' belongs to \(key) '\(key == "team" ? team : table.rawValue)'",
                            at: given.location)
                    }
                }
            case .customerService:
                guard let t = v.team else {
                    diagnostics.error("\(subject) is a customer-service view and needs 'team'", at: v.location)
                    return nil
                }
                guard resolve(t, in: org.teams.map(\.id), kind: "team", from: subject) else { return nil }
                guard v.table != nil else {
                    diagnostics.error("\(subject) is a customer-service view and needs 'table'", at: v.location)
                    return nil
                }
                guard let tb = self.table(v.table, from: subject) else { return nil }
                team = t.value
                table = tb
                if let p = v.package {
                    if resolve(p, in: schema.packages.map(\.id), kind: "package", from: subject) { package = p.value }
                }
                for list in [v.backgroundFields, v.agentFields] where !list.isEmpty {
                    diagnostics.error(
                        "\(subject) is a customer-service view; background_fields and agent_fields belong to campaign views",
                        at: list[0].location)
                }
            }
            let identities = Set(schema.fields(team: team, table: table, package: package).flatMap(\.identities))
            let place = package.map { "package '\($0)'" } ?? "table '\(table.rawValue)' of team '\(team)'"
            func fields(_ list: [Located<String>], _ key: String) -> [String] {
                checkDuplicates(list.map { ($0.value, $0.location) }, kind: "field", listedIn: "'\(key)' of \(subject)")
                return list.filter { f in
                    if identities.contains(f.value) { return true }
                    diagnostics.error(
                        "'\(key)' of \(subject) names field '\(f.value)', which \(place) does not have\(Suggestion.didYouMean(f.value, in: identities))",
                        at: f.location)
                    return false
                }.map(\.value)
            }
            let background = fields(v.backgroundFields, "background_fields")
            let agent = fields(v.agentFields, "agent_fields")
            for f in v.agentFields where v.backgroundFields.contains(where: { $0.value == f.value }) {
                diagnostics.error(
                    "field '\(f.value)' of \(subject) is both a background field and an agent field", at: f.location)
            }
            return View(
                id: v.id.value, name: v.name?.value, module: module, team: team, table: table, package: package,
                order: fields(v.order, "order"), hidden: fields(v.hidden, "hidden"),
                backgroundFields: background, agentFields: agent, location: v.location)
        }
    }

    func resolvePermissionGroups(_ org: Organization, _ schema: CustomerSchema) -> [PermissionGroup] {
        checkDuplicates(d.permissionGroups.map { ($0.id.value, $0.id.location) }, kind: "permission group")
        return d.permissionGroups.map { g in
            let subject = "permission group '\(g.id.value)'"
            var team: String?
            if let t = g.team, resolve(t, in: org.teams.map(\.id), kind: "team", from: subject) { team = t.value }
            if g.roles.isEmpty && g.users.isEmpty {
                diagnostics.warning("\(subject) has no members: give it 'roles' or 'users'", at: g.location)
            }
            var packages: [String]?
            if let list = g.customers?.packages {
                packages = list.filter { p in
                    guard resolve(p, in: schema.packages.map(\.id), kind: "package", from: subject) else {
                        return false
                    }
                    if let team, let found = schema.package(p.value), found.team != team {
                        diagnostics.error(
                            "\(subject) is for team '\(team)', but package '\(p.value)' belongs to team '\(found.team)'",
                            at: p.location)
                        return false
                    }
                    return true
                }.map(\.value)
            }
            let grants = actions(g.grants, from: subject)
            checkDuplicates(
                g.grants.map { ($0.value, $0.location) }, kind: "action", listedIn: "'grants' of \(subject)")
            return PermissionGroup(
                id: g.id.value, name: g.name?.value, team: team,
                roles: resolveAll(g.roles, in: org.roles.map(\.id), kind: "role", from: subject),
                users: resolveAll(g.users, in: org.users.map(\.id), kind: "user", from: subject),
                departments: g.customers?.departments.map {
                    resolveAll($0, in: org.departments.map(\.id), kind: "department", from: subject)
                },
                packages: packages, customerFilter: g.customers?.customerFilter, grants: grants, location: g.location)
        }
    }

    func resolveRules() -> [Rule] {
        checkDuplicates(d.rules.map { ($0.id.value, $0.id.location) }, kind: "rule")
        return d.rules.compactMap { r in
            let subject = "rule '\(r.id.value)'"
            guard let effect = r.effect else { return nil }
            let resolved: Rule.Effect
            switch effect {
            case .allow(let names):
                if names.isEmpty { diagnostics.error("\(subject) allows no action; list at least one", at: r.location) }
                checkDuplicates(names.map { ($0.value, $0.location) }, kind: "action", listedIn: "\(subject)")
                resolved = .allow(actions(names, from: subject))
            case .allowGranted:
                resolved = .allowGranted
            case .deny(let names):
                if names.isEmpty { diagnostics.error("\(subject) denies no action; list at least one", at: r.location) }
                checkDuplicates(names.map { ($0.value, $0.location) }, kind: "action", listedIn: "\(subject)")
                resolved = .deny(actions(names, from: subject))
            }
            return Rule(
                id: r.id.value, description: r.description?.value, effect: resolved, when: r.when, unless: r.unless,
                location: r.location)
        }
    }

    func resolveFieldRules(_ org: Organization, _ schema: CustomerSchema) -> [FieldRule] {
        checkDuplicates(d.fieldRules.compactMap { $0.id.map { ($0.value, $0.location) } }, kind: "field rule")
        return d.fieldRules.compactMap { r in
            let subject = r.id.map { "field rule '\($0.value)'" } ?? "a field rule"
            var team: String?
            if let t = r.team, resolve(t, in: org.teams.map(\.id), kind: "team", from: subject) { team = t.value }
            let table = self.table(r.table, from: subject)
            let packages = r.packages.map {
                resolveAll($0, in: schema.packages.map(\.id), kind: "package", from: subject)
            }
            if r.roles.isEmpty && r.users.isEmpty {
                diagnostics.error("\(subject) applies to nobody: give it 'roles' or 'users'", at: r.location)
            }
            // The fields the rule may name: those of every table and package it covers.
            var identities: Set<String> = []
            for t in org.teams.map(\.id) where team == nil || team == t {
                for kind in TableKind.allCases where table == nil || table == kind {
                    identities.formUnion(schema.fields(team: t, table: kind, package: nil).flatMap(\.identities))
                    for p in schema.packages
                    where p.team == t && p.table == kind && (packages == nil || packages!.contains(p.id)) {
                        identities.formUnion(schema.fields(team: t, table: kind, package: p.id).flatMap(\.identities))
                    }
                }
            }
            func fields(_ list: [Located<String>]?, _ key: String) -> [String]? {
                list.map {
                    $0.filter { f in
                        if identities.contains(f.value) { return true }
                        diagnostics.error(
                            "'\(key)' of \(subject) names field '\(f.value)', which no table it covers has\(Suggestion.didYouMean(f.value, in: identities))",
                            at: f.location)
                        return false
                    }.map(\.value)
                }
            }
            var masks: [(field: String, mask: FieldRule.Mask)] = []
            for (field, kind) in r.mask {
                guard fields([field], "mask") == [field.value] else { continue }
                guard let mask = FieldRule.Mask(rawValue: kind.value) else {
                    let names = FieldRule.Mask.allCases.map(\.rawValue)
                    diagnostics.error(
                        "mask '\(kind.value)' of field '\(field.value)' in \(subject) does not exist\(Suggestion.hint(kind.value, in: names, listing: "masks"))",
                        at: kind.location)
                    continue
                }
                masks.append((field.value, mask))
            }
            return FieldRule(
                id: r.id?.value, roles: resolveAll(r.roles, in: org.roles.map(\.id), kind: "role", from: subject),
                users: resolveAll(r.users, in: org.users.map(\.id), kind: "user", from: subject),
                team: team, table: table, packages: packages, read: fields(r.read, "read"),
                write: fields(r.write, "write"),
                mask: masks, when: r.when, location: r.location)
        }
    }

    func resolveValidationRules(_ org: Organization, _ schema: CustomerSchema) -> [ValidationRule] {
        checkDuplicates(d.validationRules.map { ($0.id.value, $0.id.location) }, kind: "validation rule")
        return d.validationRules.compactMap { r in
            let subject = "validation rule '\(r.id.value)'"
            var team: String?
            if let t = r.team, resolve(t, in: org.teams.map(\.id), kind: "team", from: subject) { team = t.value }
            guard let table = self.table(r.table, from: subject, customersOnly: false) else { return nil }
            var package: String?
            if let p = r.package {
                guard let found = schema.package(p.value) else {
                    diagnostics.error(
                        "\(subject) names package '\(p.value)', which does not exist\(Suggestion.didYouMean(p.value, in: schema.packages.map(\.id)))",
                        at: p.location)
                    return nil
                }
                guard found.table == table, team == nil || found.team == team else {
                    diagnostics.error(
                        "\(subject) names package '\(p.value)' of the \(found.table.rawValue) table of team '\(found.team)', not of the table it covers",
                        at: p.location)
                    return nil
                }
                package = p.value
            }
            // The fields it may name: those of every table or package it covers.
            var identities: Set<String> = []
            identities.formUnion(coveredIdentities(org, schema, team: team, table: table, package: package))
            let fields = r.fields.filter { f in
                if identities.contains(f.value) { return true }
                diagnostics.error(
                    "'fields' of \(subject) names field '\(f.value)', which no record it covers has\(Suggestion.didYouMean(f.value, in: identities))",
                    at: f.location)
                return false
            }.map(\.value)
            guard let when = r.when, let message = r.message else { return nil }
            return ValidationRule(
                id: r.id.value, team: team, table: table, package: package, when: when, message: message.value,
                fields: fields, location: r.location)
        }
    }
}

extension ModelBuilder {
    func resolveLists(_ org: Organization, _ schema: CustomerSchema) -> [SavedList] {
        checkDuplicates(d.lists.map { ($0.id.value, $0.id.location) }, kind: "list")
        return d.lists.compactMap { l in
            let subject = "list '\(l.id.value)'"
            var team: String?
            if let t = l.team, resolve(t, in: org.teams.map(\.id), kind: "team", from: subject) { team = t.value }
            guard let table = self.table(l.table, from: subject) else { return nil }
            var package: String?
            if let p = l.package {
                guard resolve(p, in: schema.packages.map(\.id), kind: "package", from: subject),
                    let found = schema.package(p.value)
                else { return nil }
                guard found.table == table, team == nil || found.team == team else {
                    diagnostics.error(
                        "\(subject) names package '\(p.value)' of the \(found.table.rawValue) table of team '\(found.team)', not of the table it lists",
                        at: p.location)
                    return nil
                }
                package = p.value
                team = found.team
            }
            // What it may show: the fields of the records it lists, and what the store keeps.
            var identities: Set<String> = Set(SavedList.systemColumns)
            identities.formUnion(coveredIdentities(org, schema, team: team, table: table, package: package))
            func known(_ name: Located<String>, _ key: String) -> Bool {
                if identities.contains(name.value) { return true }
                diagnostics.error(
                    "'\(key)' of \(subject) names '\(name.value)', which is neither a field of the customers it lists nor one the store keeps\(Suggestion.didYouMean(name.value, in: identities))",
                    at: name.location)
                return false
            }
            checkDuplicates(l.columns.map { ($0.value, $0.location) }, kind: "column", listedIn: "\(subject)")
            let columns = l.columns.filter { known($0, "columns") }.map(\.value)
            let sortNames = l.sort.map { key in
                Located(key.value.hasPrefix("-") ? String(key.value.dropFirst()) : key.value, at: key.location)
            }
            checkDuplicates(sortNames.map { ($0.value, $0.location) }, kind: "sort key", listedIn: "\(subject)")
            let sort = zip(l.sort, sortNames).filter { known($1, "sort") }.map {
                SavedList.SortKey(key: $1.value, descending: $0.value.hasPrefix("-"))
            }
            var visibleTo: Selector?
            if let s = l.visibleTo {
                let what = "'visible_to' of \(subject)"
                if s.users.isEmpty && s.departments.isEmpty && s.roles.isEmpty {
                    diagnostics.error(
                        "\(what) selects nobody: give it 'users', 'departments' or 'roles'", at: s.location)
                }
                visibleTo = Selector(
                    users: resolveAll(s.users, in: org.users.map(\.id), kind: "user", from: what),
                    departments: resolveAll(
                        s.departments, in: org.departments.map(\.id), kind: "department", from: what),
                    roles: resolveAll(s.roles, in: org.roles.map(\.id), kind: "role", from: what))
            }
            return SavedList(
                id: l.id.value, name: l.name?.value, team: team, table: table, package: package, filter: l.filter,
                columns: columns, sort: sort, visibleTo: visibleTo, location: l.location)
        }
    }
}

extension ModelBuilder {
    func resolveDuplicates(_ org: Organization, _ schema: CustomerSchema) -> [DuplicateRule] {
        checkDuplicates(d.duplicates.map { ($0.id.value, $0.id.location) }, kind: "duplicate rule")
        return d.duplicates.compactMap { r in
            let subject = "duplicate rule '\(r.id.value)'"
            var team: String?
            if let t = r.team, resolve(t, in: org.teams.map(\.id), kind: "team", from: subject) { team = t.value }
            guard let table = self.table(r.table, from: subject) else { return nil }
            var package: String?
            if let p = r.package {
                guard resolve(p, in: schema.packages.map(\.id), kind: "package", from: subject),
                    let found = schema.package(p.value)
                else { return nil }
                guard found.table == table, team == nil || found.team == team else {
                    diagnostics.error(
                        "\(subject) names package '\(p.value)' of the \(found.table.rawValue) table of team '\(found.team)', not of the table it matches",
                        at: p.location)
                    return nil
                }
                package = p.value
                team = found.team
            }
            var identities: Set<String> = []
            identities.formUnion(coveredIdentities(org, schema, team: team, table: table, package: package))
            guard let given = r.match else { return nil }
            if given.isEmpty {
                diagnostics.error("\(subject) matches no field: give 'match' one or more fields", at: r.location)
            }
            checkDuplicates(given.map { ($0.value, $0.location) }, kind: "field", listedIn: "'match' of \(subject)")
            let areas = Set(schema.customizations.filter { $0.spec.base == .area }.flatMap(\.identities))
            let match = given.filter { f in
                if identities.contains(f.value), areas.contains(f.value) {
                    diagnostics.error(
                        "'match' of \(subject) names field '\(f.value)', an area, which matching rules do not compare",
                        at: f.location)
                    return false
                }
                if identities.contains(f.value) { return true }
                diagnostics.error(
                    "'match' of \(subject) names field '\(f.value)', which the customers it covers do not have\(Suggestion.didYouMean(f.value, in: identities))",
                    at: f.location)
                return false
            }.map(\.value)
            var normalize: Normalization?
            if let n = r.normalize {
                let names = Normalization.allCases.map(\.rawValue)
                normalize = Normalization(rawValue: n.value)
                if normalize == nil {
                    diagnostics.error(
                        "'normalize' of \(subject) is '\(n.value)'\(Suggestion.hint(n.value, in: names, listing: "normalizations"))",
                        at: n.location)
                }
            }
            if let f = r.fuzzy, !(f.value.value > 0 && f.value.value <= 1) {
                diagnostics.error(
                    "'fuzzy' of \(subject) is a similarity from 0 (exclusive) to 1, not \(f.value.text)", at: f.location
                )
            }
            var onAdd = DuplicateRule.DuplicateAction.warn
            if let a = r.onAdd {
                if let action = DuplicateRule.DuplicateAction(rawValue: a.value) {
                    onAdd = action
                } else {
                    diagnostics.error(
                        "'on_add' of \(subject) is '\(a.value)'\(Suggestion.hint(a.value, in: DuplicateRule.DuplicateAction.allCases.map(\.rawValue), listing: "choices"))",
                        at: a.location)
                }
            }
            guard !match.isEmpty else { return nil }
            return DuplicateRule(
                id: r.id.value, team: team, table: table, package: package, match: match, normalize: normalize,
                fuzzy: r.fuzzy.map(\.value.value), onAdd: onAdd, location: r.location)
        }
    }
}

extension ModelBuilder {
    /// The field identities of every record a rule over `table` (of `team`, of `package`,
    /// when given) covers: the table's own fields and each of its packages'.
    func coveredIdentities(
        _ org: Organization, _ schema: CustomerSchema, team: String?, table: TableKind, package: String?
    ) -> Set<String> {
        var identities: Set<String> = []
        for t in org.teams.map(\.id) where team == nil || team == t {
            if package == nil {
                identities.formUnion(schema.fields(team: t, table: table, package: nil).flatMap(\.identities))
            }
            for p in schema.packages where p.team == t && p.table == table && (package == nil || p.id == package) {
                identities.formUnion(schema.fields(team: t, table: table, package: p.id).flatMap(\.identities))
            }
        }
        return identities
    }
}
