import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// What one decision looks at: the user, the customer, the customers' columns and the time.
package struct AccessContext: Sendable {
    package let user: Int
    package let customer: Int
    package let customers: CustomerTable
    /// Seconds since 1970.
    package let now: Double

    package init(user: Int, customer: Int, customers: CustomerTable, now: Double) {
        self.user = user
        self.customer = customer
        self.customers = customers
        self.now = now
    }
}

/// A compiled boolean expression.
package typealias Condition = @Sendable (AccessContext) -> Bool

/// Users chosen by id, or by department (and below) and role together.
struct CompiledSelector: Sendable {
    let users: Set<Int32>
    let departments: BitSet?
    let roles: BitSet?

    init(_ s: Selector, org: OrgIndex) {
        users = Set(s.users.compactMap { org.user($0).map(Int32.init) })
        if s.departments.isEmpty {
            departments = nil
        } else {
            var set = BitSet(capacity: org.departmentIds.count)
            for d in s.departments.compactMap(org.department) {
                for k in 0..<org.departmentIds.count where org.departmentSubtree[d].contains(k) { set.insert(k) }
            }
            departments = set
        }
        roles = s.roles.isEmpty ? nil : BitSet(capacity: org.roleIds.count, s.roles.compactMap(org.role))
    }

    func matches(_ user: Int, _ org: OrgIndex) -> Bool {
        if users.contains(Int32(user)) { return true }
        if departments == nil && roles == nil { return false }
        if let departments, !departments.contains(Int(org.userDepartment[user])) { return false }
        if let roles, !roles.intersects(org.userRoles[user]) { return false }
        return true
    }
}

final class CompiledGroup: @unchecked Sendable {
    let id: String
    let team: Int32
    let memberRoles: BitSet
    let memberUsers: Set<Int32>
    /// Departments covered (with sub-departments) by the account executive's department; nil: any.
    let departments: BitSet?
    let departmentList: [Int32]?
    /// Each user's department in the organisation this group was compiled for (not
    /// the one a customer table was loaded with: a plan reads the applied table under
    /// the new organisation).
    let userDepartment: [Int32]
    let packages: Set<Int32>?
    var customerFilter: Condition?
    let grants: Set<Action>
    let location: SourceLocation

    init(_ g: PermissionGroup, org: OrgIndex) {
        id = g.id
        team = g.team.flatMap(org.team).map(Int32.init) ?? -1
        memberRoles = BitSet(capacity: org.roleIds.count, g.roles.compactMap(org.role))
        memberUsers = Set(g.users.compactMap { org.user($0).map(Int32.init) })
        if let ds = g.departments {
            var set = BitSet(capacity: org.departmentIds.count)
            var list: [Int32] = []
            for d in ds.compactMap(org.department) {
                for k in 0..<org.departmentIds.count where org.departmentSubtree[d].contains(k) {
                    if !set.contains(k) { list.append(Int32(k)) }
                    set.insert(k)
                }
            }
            departments = set
            departmentList = list
        } else {
            departments = nil
            departmentList = nil
        }
        userDepartment = org.userDepartment
        packages = g.packages.map { Set($0.compactMap { org.package($0).map(Int32.init) }) }
        grants = Set(g.grants)
        location = g.location
    }

    @inline(__always) func isMember(_ user: Int, _ org: OrgIndex) -> Bool {
        memberUsers.contains(Int32(user)) || memberRoles.intersects(org.userRoles[user])
    }

    /// The group's team is the customer's (or the group spans every team).
    @inline(__always) func appliesToTeam(_ ctx: AccessContext) -> Bool {
        team < 0 || team == ctx.customers.team[ctx.customer]
    }

    /// The customer is one the group covers.
    func covers(_ ctx: AccessContext) -> Bool {
        guard appliesToTeam(ctx) else { return false }
        if let departments {
            let ae = ctx.customers.accountExecutive[ctx.customer]
            guard ae >= 0, departments.contains(Int(userDepartment[Int(ae)])) else { return false }
        }
        if let packages, !packages.contains(ctx.customers.package[ctx.customer]) { return false }
        if let customerFilter, !customerFilter(ctx) { return false }
        return true
    }
}

final class CompiledPool: Sendable {
    let id: String
    let team: Int32
    let admins: CompiledSelector
    let members: CompiledSelector
    let receives: CompiledSelector

    init(_ p: Pool, org: OrgIndex) {
        id = p.id
        team = org.team(p.team).map(Int32.init) ?? -1
        admins = CompiledSelector(p.admins, org: org)
        members = CompiledSelector(p.members, org: org)
        receives = CompiledSelector(p.receives, org: org)
    }
}

/// The compiled organisation, groups and pools that predicates consult.
final class AccessEnvironment: Sendable {
    let org: OrgIndex
    let groups: [CompiledGroup]
    let pools: [CompiledPool]

    init(model: Model, org: OrgIndex) {
        self.org = org
        groups = model.permissionGroups.map { CompiledGroup($0, org: org) }
        pools = model.pools.map { CompiledPool($0, org: org) }
    }

    /// The user is an admin (or member) of the customer's pool; for a customer in
    /// no pool, of any pool of the customer's team.
    func poolRole(_ ctx: AccessContext, admin: Bool) -> Bool {
        let p = ctx.customers.pool[ctx.customer]
        if p >= 0 {
            let pool = pools[Int(p)]
            return (admin ? pool.admins : pool.members).matches(ctx.user, org)
        }
        let team = ctx.customers.team[ctx.customer]
        return pools.contains { $0.team == team && (admin ? $0.admins : $0.members).matches(ctx.user, org) }
    }

    func sharedWithUser(_ ctx: AccessContext) -> Bool {
        let c = ctx.customers
        if c.sharedUsers.contains(ctx.customer, Int32(ctx.user)) { return true }
        // Sharing with a department reaches its sub-departments. Most customers are
        // shared with no department and no role: their lists are read once, first.
        let departments = c.sharedDepartments.items(ctx.customer)
        if !departments.isEmpty {
            for d in org.userDepartments[ctx.user] where departments.contains(d) { return true }
        }
        let roles = c.sharedRoles.items(ctx.customer)
        if !roles.isEmpty {
            for r in org.userRoleList[ctx.user] where roles.contains(r) { return true }
        }
        return false
    }

    func inAnyGroupOfTeam(_ ctx: AccessContext) -> Bool {
        groups.contains { $0.appliesToTeam(ctx) && $0.isMember(ctx.user, org) }
    }

    /// Seed 003: only a group with editing permission takes the place of the manager's view.
    func inAnEditingGroupOfTeam(_ ctx: AccessContext) -> Bool {
        groups.contains { $0.grants.contains(.edit) && $0.appliesToTeam(ctx) && $0.isMember(ctx.user, org) }
    }

    func coveredByAGroup(_ ctx: AccessContext) -> Bool {
        groups.contains { $0.isMember(ctx.user, org) && $0.covers(ctx) }
    }

    func manages(_ manager: Int, _ subject: Int32, depth: Int?) -> Bool {
        guard subject >= 0 else { return false }
        let chain = org.userManagerChain[Int(subject)]
        let limit = min(chain.count, depth ?? chain.count)
        for k in 0..<limit where chain[k] == Int32(manager) { return true }
        return false
    }
}
