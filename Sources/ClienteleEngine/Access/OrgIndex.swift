import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// The organisation as integers: users, departments, roles, teams, packages and
/// pools by index, with the sets and chains access checks need precomputed.
package final class OrgIndex: Sendable {
    package let userIds: [String]
    package let departmentIds: [String]
    package let roleIds: [String]
    package let teamIds: [String]
    package let packageIds: [String]
    package let poolIds: [String]
    let users: ByteKeyTable, departments: ByteKeyTable, roles: ByteKeyTable, teams: ByteKeyTable,
        packages: ByteKeyTable, pools: ByteKeyTable

    package let userActive: [Bool]
    package let userDepartment: [Int32]
    package let userTeams: [BitSet]
    package let userRoles: [BitSet]
    package let userRoleList: [[Int32]]
    /// The user's department and every department above it.
    package let userDepartments: [[Int32]]
    package let userManager: [Int32]
    /// Managers nearest first.
    package let userManagerChain: [[Int32]]
    /// Direct reports of each user.
    package let userReports: [[Int32]]
    /// For each department, the set of it and its sub-departments.
    package let departmentSubtree: [BitSet]

    package init(_ model: Model) {
        let org = model.organization
        userIds = org.users.map(\.id)
        departmentIds = org.departments.map(\.id)
        roleIds = org.roles.map(\.id)
        teamIds = org.teams.map(\.id)
        packageIds = model.schema.packages.map(\.id)
        poolIds = model.pools.map(\.id)
        func table(_ ids: [String]) -> ByteKeyTable { ByteKeyTable(ids.enumerated().map { ($1, $0) }) }
        users = table(userIds)
        departments = table(departmentIds)
        roles = table(roleIds)
        teams = table(teamIds)
        packages = table(packageIds)
        pools = table(poolIds)
        let d = Dictionary(uniqueKeysWithValues: departmentIds.enumerated().map { ($1, Int32($0)) })
        let u = Dictionary(uniqueKeysWithValues: userIds.enumerated().map { ($1, Int32($0)) })
        let r = Dictionary(uniqueKeysWithValues: roleIds.enumerated().map { ($1, $0) })
        let t = Dictionary(uniqueKeysWithValues: teamIds.enumerated().map { ($1, $0) })
        userActive = org.users.map(\.active)
        userDepartment = org.users.map { $0.department.flatMap { d[$0] } ?? -1 }
        userTeams = org.users.map { BitSet(capacity: t.count, $0.teams.compactMap { t[$0] }) }
        userRoles = org.users.map { BitSet(capacity: r.count, $0.roles.compactMap { r[$0] }) }
        userRoleList = org.users.map { $0.roles.compactMap { r[$0].map(Int32.init) } }
        userDepartments = org.users.map { user in
            user.department.map { org.departmentAndAncestors($0).compactMap { d[$0] } } ?? []
        }
        userManager = org.users.map { $0.manager.flatMap { u[$0] } ?? -1 }
        userManagerChain = org.users.map { org.managerChain(of: $0.id).compactMap { u[$0] } }
        var reports = [[Int32]](repeating: [], count: userIds.count)
        for (k, m) in userManager.enumerated() where m >= 0 { reports[Int(m)].append(Int32(k)) }
        userReports = reports
        var subtree = [BitSet](repeating: BitSet(capacity: departmentIds.count), count: departmentIds.count)
        for (k, dept) in org.departments.enumerated() {
            for ancestor in org.departmentAndAncestors(dept.id) { if let a = d[ancestor] { subtree[Int(a)].insert(k) } }
        }
        departmentSubtree = subtree
    }

    package func user(_ id: String) -> Int? { users.lookup(id) }
    package func department(_ id: String) -> Int? { departments.lookup(id) }
    package func role(_ id: String) -> Int? { roles.lookup(id) }
    package func team(_ id: String) -> Int? { teams.lookup(id) }
    package func package(_ id: String) -> Int? { packages.lookup(id) }
    package func pool(_ id: String) -> Int? { pools.lookup(id) }

    /// Everyone below `user` in the manager tree, down to `depth` levels (nil: all).
    package func subordinates(of user: Int, depth: Int?) -> [Int32] {
        var result: [Int32] = []
        var level = userReports[user]
        var remaining = depth ?? Int.max
        var seen: Set<Int32> = [Int32(user)]
        while !level.isEmpty && remaining > 0 {
            var next: [Int32] = []
            for s in level where seen.insert(s).inserted {
                result.append(s)
                next.append(contentsOf: userReports[Int(s)])
            }
            level = next
            remaining -= 1
        }
        return result
    }
}
