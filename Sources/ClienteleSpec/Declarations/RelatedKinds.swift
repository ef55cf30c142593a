import ClienteleCore

/// A kind of record related to customers (`related:`): contacts, orders, sites, ...
/// Each record of the kind belongs to one customer of a `parent` table, and its
/// fields are declared in the same field language as a table's.
package struct RelatedKindDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var team: Located<String>?
    /// The customer tables whose customers may own a record of the kind.
    package var parents: [Located<String>]?
    package var number: NumberingDecl?
    /// `inherit`: view, edit and delete follow the parent customer.
    package var access: Located<String>?
    /// Another kind a record of this one belongs to, of the same customer (an asset's site).
    package var within: Located<String>?
    /// The kind's fields: `team`, `table` and `packages` are the kind's own and not written.
    package var fields: [FieldDecl]
    package var location: SourceLocation
}

extension DeclarationReader {
    func readRelatedKind(_ node: Node) -> RelatedKindDecl? {
        guard let m = MappingReader(node, subject: "a related kind", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        var numbering: NumberingDecl?
        if let n = m.mapping("number", subject: "the numbering of related kind '\(id.value)'") {
            numbering = NumberingDecl(
                prefix: n.string("prefix", required: true), digits: n.integer("digits"), location: n.location)
            n.finish()
        }
        var fields: [FieldDecl] = []
        if let list = m.value("fields"), !(list.scalar?.isNull ?? false) {
            for item in NodeValue.list(list, what: "'fields' of \(m.subject)", diagnostics) {
                if let field = readField(item, of: m.subject) { fields.append(field) }
            }
        }
        return RelatedKindDecl(
            id: id, name: m.string("name"), team: m.string("team", required: true),
            parents: m.strings("parent", required: true), number: numbering, access: m.string("access"),
            within: m.string("within"), fields: fields, location: m.location)
    }
}
