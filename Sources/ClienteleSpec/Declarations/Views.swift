import ClienteleCore
public struct ViewDecl: Sendable {
    public var id: Located<String>
    public var name: Located<String>?
    public var module: Located<String>?
    public var team: Located<String>?
    public var table: Located<String>?
    public var package: Located<String>?
    public var order: [Located<String>]
    public var hidden: [Located<String>]
    public var backgroundFields: [Located<String>]
    public var agentFields: [Located<String>]
    public var location: SourceLocation
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
