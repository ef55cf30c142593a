import ClienteleCore

package struct TeamDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var location: SourceLocation
}

package struct DepartmentDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var parent: Located<String>?
    package var location: SourceLocation
}

package struct RoleDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var location: SourceLocation
}

package struct UserDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var teams: [Located<String>]
    package var department: Located<String>?
    package var roles: [Located<String>]
    package var manager: Located<String>?
    package var active: Located<Bool>?
    package var location: SourceLocation
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
