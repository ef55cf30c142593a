import ClienteleCore

/// A standard customer field from the built-in `standard-fields` library.
package struct StandardFieldDecl: Sendable {
    package var identity: Located<String>
    package var display: Located<String>?
    package var type: Located<String>?
    package var attributes: FieldAttributes
    package var location: SourceLocation
}

extension DeclarationReader {
    /// Reads `schemas/standard-fields.yaml`: `standard_fields:` lists fields like customizations,
    /// without team, table or packages (they belong to every customer table).
    func readStandardFields(_ root: Node?) -> [StandardFieldDecl] {
        guard let root, let m = MappingReader(root, subject: "the standard-fields library", diagnostics: diagnostics)
        else { return [] }
        defer { m.finish() }
        guard let list = m.value("standard_fields") else { return [] }
        return NodeValue.list(list, what: "'standard_fields'", diagnostics).compactMap { node in
            guard let f = MappingReader(node, subject: "a standard field", diagnostics: diagnostics) else { return nil }
            defer { f.finish() }
            guard let identity = f.string("identity", required: true) else { return nil }
            f.subject = "standard field '\(identity.value)'"
            return StandardFieldDecl(
                identity: identity, display: f.string("display"), type: f.string("type", required: true),
                attributes: readAttributes(f, fieldKeys: true), location: f.location)
        }
    }
}
