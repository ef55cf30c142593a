import ClienteleCore
import ClienteleSpec

extension ModelBuilder {
    func resolveOrganization() -> Organization {
        var org = Organization()
        checkDuplicates(d.teams.map { ($0.id.value, $0.id.location) }, kind: "team")
        checkDuplicates(d.departments.map { ($0.id.value, $0.id.location) }, kind: "department")
        checkDuplicates(d.roles.map { ($0.id.value, $0.id.location) }, kind: "role")
        checkDuplicates(d.users.map { ($0.id.value, $0.id.location) }, kind: "user")

        let teamIds = Set(d.teams.map(\.id.value))
        let departmentIds = Set(d.departments.map(\.id.value))
        let roleIds = Set(d.roles.map(\.id.value))
        let userIds = Set(d.users.map(\.id.value))

        org.teams = d.teams.map { .init(id: $0.id.value, name: $0.name?.value, location: $0.location) }
        org.roles = d.roles.map { .init(id: $0.id.value, name: $0.name?.value, location: $0.location) }
        org.departments = d.departments.map { dept in
            var parent: String?
            if let p = dept.parent,
                resolve(p, in: departmentIds, kind: "parent department", from: "department '\(dept.id.value)'")
            {
                parent = p.value
            }
            return .init(id: dept.id.value, name: dept.name?.value, parent: parent, location: dept.location)
        }
        org.users = d.users.map { user in
            let subject = "user '\(user.id.value)'"
            var manager: String?
            if let m = user.manager, resolve(m, in: userIds, kind: "manager", from: subject) {
                if m.value == user.id.value {
                    diagnostics.error("user '\(user.id.value)' cannot be their own manager", at: m.location)
                } else {
                    manager = m.value
                }
            }
            var department: String?
            if let dep = user.department, resolve(dep, in: departmentIds, kind: "department", from: subject) {
                department = dep.value
            }
            return .init(
                id: user.id.value, name: user.name?.value,
                teams: resolveAll(user.teams, in: teamIds, kind: "team", from: subject),
                department: department,
                roles: resolveAll(user.roles, in: roleIds, kind: "role", from: subject),
                manager: manager, active: user.active?.value ?? true, location: user.location)
        }
        org.reindex()
        reportCycles(org.departments.map { ($0.id, $0.parent, $0.location) }, kind: "department", link: "parent")
        reportCycles(org.users.map { ($0.id, $0.manager, $0.location) }, kind: "user", link: "manager")
        return org
    }

    /// Reports each cycle in a parent relation once, at the first member declared.
    private func reportCycles(
        _ nodes: [(id: String, next: String?, location: SourceLocation)], kind: String, link: String
    ) {
        let byId = Dictionary(nodes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var reported: Set<String> = []
        for node in nodes where !reported.contains(node.id) {
            var path = [node.id]
            var current = node.next
            while let c = current, let next = byId[c] {
                if c == node.id {
                    let members = Set(path)
                    if members.isDisjoint(with: reported) {
                        reported.formUnion(members)
                        let chain = (path + [node.id]).joined(separator: " -> ")
                        diagnostics.error("\(kind)s form a cycle through '\(link)': \(chain)", at: node.location)
                    }
                    break
                }
                if path.contains(c) || path.count > nodes.count { break }
                path.append(c)
                current = next.next
            }
        }
    }
}
