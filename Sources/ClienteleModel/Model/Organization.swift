import ClienteleCore
import ClienteleSpec

/// Teams, the department tree, roles and users, with the lookups access needs.
package struct Organization: Sendable {
    package struct Team: Sendable {
        package var id: String
        package var name: String?
        package var location: SourceLocation
    }
    package struct Department: Sendable {
        package var id: String
        package var name: String?
        package var parent: String?
        package var location: SourceLocation
    }
    package struct Role: Sendable {
        package var id: String
        package var name: String?
        package var location: SourceLocation
    }
    package struct User: Sendable {
        package var id: String
        package var name: String?
        package var teams: [String]
        package var department: String?
        package var roles: [String]
        package var manager: String?
        package var active: Bool
        package var location: SourceLocation
    }

    package var teams: [Team] = []
    package var departments: [Department] = []
    package var roles: [Role] = []
    package var users: [User] = []

    package private(set) var teamIndex: [String: Int] = [:]
    package private(set) var departmentIndex: [String: Int] = [:]
    package private(set) var roleIndex: [String: Int] = [:]
    package private(set) var userIndex: [String: Int] = [:]

    package init() {}

    mutating func reindex() {
        teamIndex = Dictionary(teams.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        departmentIndex = Dictionary(departments.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        roleIndex = Dictionary(roles.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        userIndex = Dictionary(users.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    package func team(_ id: String) -> Team? { teamIndex[id].map { teams[$0] } }
    package func department(_ id: String) -> Department? { departmentIndex[id].map { departments[$0] } }
    package func role(_ id: String) -> Role? { roleIndex[id].map { roles[$0] } }
    package func user(_ id: String) -> User? { userIndex[id].map { users[$0] } }

    /// The department and every department above it, nearest first.
    package func departmentAndAncestors(_ id: String) -> [String] {
        var result: [String] = []
        var current: String? = id
        while let c = current, !result.contains(c), let d = department(c) {
            result.append(c)
            current = d.parent
        }
        return result
    }

    /// The user's managers, nearest first.
    package func managerChain(of id: String) -> [String] {
        var result: [String] = []
        var current = user(id)?.manager
        while let c = current, !result.contains(c), c != id {
            result.append(c)
            current = user(c)?.manager
        }
        return result
    }
}

extension Organization {
    /// Spec section 8: a user listed in `users`, or one who matches every other key given.
    package func matches(_ selector: Selector, user id: String) -> Bool {
        if selector.users.contains(id) { return true }
        guard !selector.departments.isEmpty || !selector.roles.isEmpty, let u = user(id) else { return false }
        if !selector.departments.isEmpty {
            guard let d = u.department, !Set(departmentAndAncestors(d)).isDisjoint(with: selector.departments) else {
                return false
            }
        }
        if !selector.roles.isEmpty, Set(u.roles).isDisjoint(with: selector.roles) { return false }
        return true
    }
}
