import ClienteleCore
import ClienteleSpec

extension ModelBuilder {
    func resolvePools(_ org: Organization, _ schema: CustomerSchema) -> [Pool] {
        checkDuplicates(d.pools.map { ($0.id.value, $0.id.location) }, kind: "pool")
        return d.pools.compactMap { p in
            let subject = "pool '\(p.id.value)'"
            guard let team = p.team, resolve(team, in: org.teams.map(\.id), kind: "team", from: subject) else {
                return nil
            }
            func selector(_ s: SelectorDecl?, _ key: String) -> Selector {
                guard let s else { return .nobody }
                let what = "'\(key)' of \(subject)"
                if s.users.isEmpty && s.departments.isEmpty && s.roles.isEmpty {
                    diagnostics.error(
                        "\(what) selects nobody: give it 'users', 'departments' or 'roles'", at: s.location)
                }
                return Selector(
                    users: resolveAll(s.users, in: org.users.map(\.id), kind: "user", from: what),
                    departments: resolveAll(
                        s.departments, in: org.departments.map(\.id), kind: "department", from: what),
                    roles: resolveAll(s.roles, in: org.roles.map(\.id), kind: "role", from: what))
            }
            let reasons = p.reasons ?? []
            checkDuplicates(reasons.map { ($0.value, $0.location) }, kind: "reason", listedIn: "\(subject)")
            let requireReason = p.requireReason?.value ?? false
            if requireReason && reasons.isEmpty {
                diagnostics.error(
                    "\(subject) requires a reason to return a customer but lists no 'reasons'",
                    at: p.requireReason!.location)
            }
            let noFollowup = nonNegative(p.noFollowupDays, "'no_followup_days' of \(subject)")
            let noDeal = nonNegative(p.noDealDays, "'no_deal_days' of \(subject)")
            let warn = nonNegative(p.warnDaysBefore, "'warn_days_before' of \(subject)")
            if let warn, let w = p.warnDaysBefore {
                let periods = [noFollowup, noDeal].compactMap { $0 }
                if periods.isEmpty {
                    diagnostics.error(
                        "\(subject) warns \(warn) days before an automatic return, but sets no 'no_followup_days' or 'no_deal_days'",
                        at: w.location)
                } else if let shortest = periods.min(), warn >= shortest {
                    diagnostics.error(
                        "'warn_days_before' of \(subject) (\(warn)) must be shorter than the return period (\(shortest) days)",
                        at: w.location)
                }
            }
            let identities = Set(
                TableKind.allCases.filter(\.isCustomerTable).flatMap { kind in
                    [schema.fields(team: team.value, table: kind, package: nil)]
                        + schema.packages.filter { $0.team == team.value && $0.table == kind }.map {
                            schema.fields(team: team.value, table: kind, package: $0.id)
                        }
                }.flatMap { $0.flatMap(\.identities) })
            let hidden = p.hideInPool.filter { f in
                if identities.contains(f.value) { return true }
                diagnostics.error(
                    "'hide_in_pool' of \(subject) names field '\(f.value)', which team '\(team.value)' does not have\(Suggestion.didYouMean(f.value, in: identities))",
                    at: f.location)
                return false
            }.map(\.value)
            return Pool(
                id: p.id.value, name: p.name?.value, team: team.value,
                admins: selector(p.admins, "admins"), members: selector(p.members, "members"),
                receives: selector(p.receives, "receives"),
                maxHeld: nonNegative(p.maxHeld, "'max_held' of \(subject)"),
                maxPerDay: nonNegative(p.maxPerDay, "'max_per_day' of \(subject)"),
                cooldownDays: nonNegative(p.cooldownDays, "'cooldown_days' of \(subject)"),
                reasons: reasons.map(\.value), requireReason: requireReason,
                noFollowupDays: noFollowup, noDealDays: noDeal, warnDaysBefore: warn,
                exemptTags: p.exemptTags.map(\.value), hideInPool: hidden, location: p.location)
        }
    }

    /// System keys a test customer may give besides field values.
    static let testCustomerKeys = StoredKey.testCustomer.map(\.name)

    func resolveTests(_ org: Organization, _ schema: CustomerSchema) -> [RuleTest] {
        checkDuplicates(d.tests.map { ($0.name.value, $0.name.location) }, kind: "test")
        let allIdentities = Set(
            schema.standardFields.values.flatMap { $0.flatMap(\.identities) }
                + schema.customizations.flatMap(\.identities))
        let userIds = org.users.map(\.id)
        return d.tests.map { t in
            let subject = "test '\(t.name.value)'"
            checkDuplicates(t.customers.map { ($0.id.value, $0.id.location) }, kind: "customer", listedIn: "\(subject)")
            for c in t.customers {
                for entry in c.values {
                    let key = entry.key.value
                    switch key {
                    case "table":
                        if let name = NodeValue.string(
                            entry.value, what: "'table' of customer '\(c.id.value)'", diagnostics)
                        {
                            _ = table(name, from: "customer '\(c.id.value)' of \(subject)")
                        }
                    case "team":
                        if let name = NodeValue.string(
                            entry.value, what: "'team' of customer '\(c.id.value)'", diagnostics)
                        {
                            resolve(
                                name, in: org.teams.map(\.id), kind: "team",
                                from: "customer '\(c.id.value)' of \(subject)")
                        }
                    case "account_executive", "customer_service_rep", "previous_account_executive", "created_by":
                        if let s = entry.value.scalar, s.isNull { continue }
                        if let name = NodeValue.string(
                            entry.value, what: "'\(key)' of customer '\(c.id.value)'", diagnostics)
                        {
                            resolve(name, in: userIds, kind: "user", from: "customer '\(c.id.value)' of \(subject)")
                        }
                    case "package":
                        if let s = entry.value.scalar, s.isNull { continue }
                        if let name = NodeValue.string(
                            entry.value, what: "'package' of customer '\(c.id.value)'", diagnostics)
                        {
                            resolve(
                                name, in: schema.packages.map(\.id), kind: "package",
                                from: "customer '\(c.id.value)' of \(subject)")
                        }
                    default:
                        if Self.testCustomerKeys.contains(key) || allIdentities.contains(key) { continue }
                        diagnostics.error(
                            "customer '\(c.id.value)' of \(subject) has '\(key)', which is neither a system key nor a field\(Suggestion.didYouMean(key, in: Self.testCustomerKeys + allIdentities))",
                            at: entry.key.location)
                    }
                }
            }
            let customerIds = t.customers.map(\.id.value)
            let expectations = t.expectations.compactMap { e -> RuleTest.Expectation? in
                let okUser = resolve(e.user, in: userIds, kind: "user", from: subject)
                let okCustomer = resolve(e.customer, in: customerIds, kind: "customer", from: subject)
                let can = actions(e.can, from: subject)
                let cannot = actions(e.cannot, from: subject)
                for a in e.can where e.cannot.contains(where: { $0.value == a.value }) {
                    diagnostics.error(
                        "\(subject) expects '\(e.user.value)' both can and cannot '\(a.value)'", at: a.location)
                }
                guard okUser, okCustomer else { return nil }
                return .init(
                    user: e.user.value, customer: e.customer.value, can: can, cannot: cannot, location: e.location)
            }
            return RuleTest(
                name: t.name.value, customers: t.customers, expectations: expectations, location: t.location)
        }
    }
}
