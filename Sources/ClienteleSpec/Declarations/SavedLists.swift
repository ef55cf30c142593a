import ClienteleCore

/// A named filter with its columns and order (`lists:`), opened by `customer list --list`.
package struct SavedListDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var team: Located<String>?
    package var table: Located<String>?
    package var package: Located<String>?
    package var filter: ExpressionSource?
    package var columns: [Located<String>]
    /// Keys to sort by, each `-` first for a descending order.
    package var sort: [Located<String>]
    package var visibleTo: SelectorDecl?
    package var location: SourceLocation
}

extension DeclarationReader {
    func readSavedList(_ node: Node) -> SavedListDecl? {
        guard let m = MappingReader(node, subject: "a list", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        return SavedListDecl(
            id: id, name: m.string("name"), team: m.string("team"), table: m.string("table", required: true),
            package: m.string("package"), filter: m.expression("where"), columns: m.strings("columns") ?? [],
            sort: m.strings("sort") ?? [], visibleTo: readSelector(m, "visible_to"), location: m.location)
    }
}
