import ClienteleCore

/// `users`, `departments`, `roles`: who a pool's admins, members or receivers are, or
/// whom a list is shown to.
package struct SelectorDecl: Sendable {
    package var users: [Located<String>]
    package var departments: [Located<String>]
    package var roles: [Located<String>]
    package var location: SourceLocation
}

package struct PoolDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var team: Located<String>?
    package var admins: SelectorDecl?
    package var members: SelectorDecl?
    package var receives: SelectorDecl?
    package var maxHeld: Located<Int>?
    package var maxPerDay: Located<Int>?
    package var cooldownDays: Located<Int>?
    package var reasons: [Located<String>]?
    package var requireReason: Located<Bool>?
    package var noFollowupDays: Located<Int>?
    package var noDealDays: Located<Int>?
    package var warnDaysBefore: Located<Int>?
    package var exemptTags: [Located<String>]
    package var hideInPool: [Located<String>]
    package var location: SourceLocation
}

extension DeclarationReader {
    func readPool(_ node: Node) -> PoolDecl? {
        guard let m = MappingReader(node, subject: "a pool", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        var pool = PoolDecl(
            id: id, name: m.string("name"), team: m.string("team", required: true),
            exemptTags: [], hideInPool: m.strings("hide_in_pool") ?? [], location: m.location)
        pool.admins = readSelector(m, "admins")
        pool.members = readSelector(m, "members")
        pool.receives = readSelector(m, "receives")
        if let c = m.mapping("claim", subject: "the claim limits of pool '\(id.value)'") {
            pool.maxHeld = c.integer("max_held")
            pool.maxPerDay = c.integer("max_per_day")
            pool.cooldownDays = c.integer("cooldown_days")
            c.finish()
        }
        if let r = m.mapping("return", subject: "the return settings of pool '\(id.value)'") {
            pool.reasons = r.strings("reasons")
            pool.requireReason = r.bool("require_reason")
            r.finish()
        }
        if let a = m.mapping("auto_return", subject: "the automatic return of pool '\(id.value)'") {
            pool.noFollowupDays = a.integer("no_followup_days")
            pool.noDealDays = a.integer("no_deal_days")
            pool.warnDaysBefore = a.integer("warn_days_before")
            pool.exemptTags = a.strings("exempt_tags") ?? []
            a.finish()
        }
        return pool
    }

    func readSelector(_ m: MappingReader, _ key: String) -> SelectorDecl? {
        guard let s = m.mapping(key, subject: "'\(key)' of \(m.subject)") else { return nil }
        defer { s.finish() }
        return SelectorDecl(
            users: s.strings("users") ?? [], departments: s.strings("departments") ?? [],
            roles: s.strings("roles") ?? [], location: s.location)
    }
}
