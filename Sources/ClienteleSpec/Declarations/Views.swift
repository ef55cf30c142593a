import ClienteleCore

package struct ViewDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var module: Located<String>?
    package var team: Located<String>?
    package var table: Located<String>?
    package var package: Located<String>?
    package var order: [Located<String>]
    package var hidden: [Located<String>]
    package var backgroundFields: [Located<String>]
    package var agentFields: [Located<String>]
    package var location: SourceLocation
}

extension DeclarationReader {
    func readView(_ node: Node) -> ViewDecl? {
        guard let m = MappingReader(node, subject: "a view", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        return ViewDecl(
            id: id, name: m.string("name"), module: m.string("module", required: true), team: m.string("team"),
            table: m.string("table"), package: m.string("package"), order: m.strings("order") ?? [],
            hidden: m.strings("hidden") ?? [], backgroundFields: m.strings("background_fields") ?? [],
            agentFields: m.strings("agent_fields") ?? [], location: m.location)
    }
}
