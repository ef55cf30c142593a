import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// What a user may do with each field of one customer, after the field rules.
package struct FieldAccess: Sendable, Equatable {
    /// Readable fields; nil: every field.
    package var readable: Set<String>?
    /// Writable fields; nil: every field (editing still needs the `edit` action).
    package var writable: Set<String>?
    /// Fields shown masked, and how.
    package var masks: [String: FieldRule.Mask]
    /// Fields the schema keeps out of sight (`hidden: true`): not shown and not
    /// filtered on, whoever reads (`customer edit` refuses them too).
    package var hidden: Set<String> = []

    package static let unrestricted = FieldAccess(readable: nil, writable: nil, masks: [:])

    package func canRead(_ identity: String) -> Bool {
        !hidden.contains(identity) && readable?.contains(identity) ?? true
    }

    /// A masked field is read-only: nobody overwrites what they cannot see.
    package func canWrite(_ identity: String) -> Bool {
        masks[identity] == nil && canRead(identity) && (writable?.contains(identity) ?? true)
    }

    /// The value as this user sees it: masked, or nil when the field is not readable.
    package func shown(_ identity: String, _ value: String) -> String? {
        guard canRead(identity) else { return nil }
        return masks[identity].map { Self.apply($0, to: value) } ?? value
    }

    /// A stored value masked: text as `apply` says, any other value but null as `****`.
    package static func masked(_ value: JSONValue, _ mask: FieldRule.Mask) -> JSONValue {
        switch value {
        case .null: return .null
        case .string(let s): return .string(apply(mask, to: s))
        default: return .string("****")
        }
    }

    package static func apply(_ mask: FieldRule.Mask, to value: String) -> String {
        let chars = Array(value)
        switch mask {
        case .all:
            return "****"
        case .last4, .first4:
            // A value of four characters or fewer is masked whole.
            guard chars.count > 4 else { return String(repeating: "*", count: chars.count) }
            let hidden = String(repeating: "*", count: chars.count - 4)
            return mask == .last4 ? hidden + String(chars.suffix(4)) : String(chars.prefix(4)) + hidden
        case .email:
            guard let at = chars.firstIndex(of: "@"), at > 0 else { return "****" }
            return String(chars[0]) + "***" + String(chars[at...])
        }
    }
}

/// A field rule, compiled.
final class CompiledFieldRule: Sendable {
    let roles: BitSet
    let users: Set<Int32>
    let team: Int32?
    let table: UInt8?
    let packages: Set<Int32>?
    let read: Set<String>?
    let write: Set<String>?
    let masks: [(field: String, mask: FieldRule.Mask)]
    let when: Condition?

    init(_ r: FieldRule, org: OrgIndex, when: Condition?) {
        roles = BitSet(capacity: org.roleIds.count, r.roles.compactMap(org.role))
        users = Set(r.users.compactMap { org.user($0).map(Int32.init) })
        team = r.team.map { org.team($0).map(Int32.init) ?? -1 }
        table = r.table.map { UInt8($0.ordinal) }
        packages = r.packages.map { Set($0.compactMap { org.package($0).map(Int32.init) }) }
        read = r.read.map(Set.init)
        write = r.write.map(Set.init)
        masks = r.mask
        self.when = when
    }

    func applies(_ ctx: AccessContext, _ org: OrgIndex) -> Bool {
        guard users.contains(Int32(ctx.user)) || roles.intersects(org.userRoles[ctx.user]) else { return false }
        let c = ctx.customers
        if let team, team != c.team[ctx.customer] { return false }
        if let table, table != c.table[ctx.customer] { return false }
        if let packages, !packages.contains(c.package[ctx.customer]) { return false }
        if let when, !when(ctx) { return false }
        return true
    }
}

extension AccessPolicy {
    /// The fields `user` may read and write on `customer`, and the masks: the union
    /// of what the applicable field rules list (a rule without `read` or `write`
    /// does not restrict that); the first rule that masks a field decides how.
    /// Whether any field rule may narrow what a user reads or writes.
    package var hasFieldRules: Bool { !fieldRules.isEmpty }

    package func fieldAccess(
        user: Int, customer: Int, in customers: CustomerTable, now: Double = Timestamp.processStart
    ) -> FieldAccess {
        let ctx = AccessContext(user: user, customer: customer, customers: customers, now: now)
        var access = FieldAccess.unrestricted
        for rule in fieldRules where rule.applies(ctx, environment.org) {
            if let read = rule.read { access.readable = (access.readable ?? []).union(read) }
            if let write = rule.write { access.writable = (access.writable ?? []).union(write) }
            for (field, mask) in rule.masks where access.masks[field] == nil { access.masks[field] = mask }
        }
        return access
    }
}
