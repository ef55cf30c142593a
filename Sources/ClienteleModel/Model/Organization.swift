import ClienteleCore
import ClienteleSpec
/// Teams, the department tree, roles and users, with the lookups access needs.
public struct Organization: Sendable {
    public struct Team: Sendable { public var id: String; public var name: String?; public var location: SourceLocation }
    public struct Department: Sendable {
        public var id: String
        public var name: String?
        public var parent: String?
        public var location: SourceLocation
    }
    public struct Role: Sendable { public var id: String; public var name: String?; public var location: SourceLocation }
    public struct User: Sendable {
        public var id: String
        public var name: String?
        public var teams: [String]
        public var department: String?
        public var roles: [String]
        public var manager: String?
        public var active: Bool
        public var location: SourceLocation
    }

    public var teams: [Team] = []
    public var departments: [Department] = []
    public var roles: [Role] = []
    public var users: [User] = []

    public private(set) var teamIndex: [String: Int] = [:]
    public private(set) var departmentIndex: [String: Int] = [:]
    public private(set) var roleIndex: [String: Int] = [:]
    public private(set) var userIndex: [String: Int] = [:]

    public init() {}

    mutating func reindex() {
        teamIndex = Dictionary(teams.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        departmentIndex = Dictionary(departments.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        roleIndex = Dictionary(roles.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        userIndex = Dictionary(users.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func team(_ id: String) -> Team? { teamIndex[id].map { teams[$0] } }
    public func department(_ id: String) -> Department? { departmentIndex[id].map { departments[$0] } }
    public func role(_ id: String) -> Role? { roleIndex[id].map { roles[$0] } }
    public func user(_ id: String) -> User? { userIndex[id].map { users[$0] } }

    /// The department and every department above it, nearest first.
    public func departmentAndAncestors(_ id: String) -> [String] {
        var result: [String] = []
        var current: String? = id
        while let c = current, !result.contains(c), let d = department(c) {
            result.append(c)
            current = d.parent
        }
        return result
    }

    /// The user's managers, nearest first.
    public func managerChain(of id: String) -> [String] {
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
    public func matches(_ selector: Selector, user id: String) -> Bool {
        if selector.users.contains(id) { return true }
        guard !selector.departments.isEmpty || !selector.roles.isEmpty, let u = user(id) else { return false }
        if !selector.departments.isEmpty {
            guard let d = u.department, !Set(departmentAndAncestors(d)).isDisjoint(with: selector.departments) else { return false }
        }
        if !selector.roles.isEmpty, Set(u.roles).isDisjoint(with: selector.roles) { return false }
        return true
    }
}
