import ClienteleCore
public struct TeamDecl: Sendable {
    public var id: Located<String>
    public var name: Located<String>?
    public var location: SourceLocation
}

public struct DepartmentDecl: Sendable {
    public var id: Located<String>
    public var name: Located<String>?
    public var parent: Located<String>?
    public var location: SourceLocation
}

public struct RoleDecl: Sendable {
    public var id: Located<String>
    public var name: Located<String>?
    public var location: SourceLocation
}

public struct UserDecl: Sendable {
    public var id: Located<String>
    public var name: Located<String>?
    public var teams: [Located<String>]
    public var department: Located<String>?
    public var roles: [Located<String>]
    public var manager: Located<String>?
    public var active: Located<Bool>?
    public var location: SourceLocation
}

extension DeclarationReader {
    func readTeam(_ node: Node) -> TeamDecl? {
        guard let m = MappingReader(node, subject: "a team", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        return TeamDecl(id: id, name: m.string("name"), location: m.location)
    }

    func readDepartment(_ node: Node) -> DepartmentDecl? {
        guard let m = MappingReader(node, subject: "a department", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        return DepartmentDecl(id: id, name: m.string("name"), parent: m.string("parent"), location: m.location)
    }

    func readRole(_ node: Node) -> RoleDecl? {
        guard let m = MappingReader(node, subject: "a role", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        return RoleDecl(id: id, name: m.string("name"), location: m.location)
    }

    func readUser(_ node: Node) -> UserDecl? {
        guard let m = MappingReader(node, subject: "a user", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        return UserDecl(
            id: id, name: m.string("name"), teams: m.strings("teams") ?? [],
            department: m.string("department"), roles: m.strings("roles") ?? [],
            manager: m.string("manager"), active: m.bool("active"), location: m.location)
    }
}
