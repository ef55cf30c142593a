import ClienteleCore

/// A matching rule (`duplicates:`): customers of a table (or package) whose `match`
/// fields hold the same values, normalised, or, with `fuzzy`, similar ones.
package struct DuplicateRuleDecl: Sendable {
    package var id: Located<String>
    package var team: Located<String>?
    package var table: Located<String>?
    package var package: Located<String>?
    /// Nil when it is missing (reported as such).
    package var match: [Located<String>]?
    package var normalize: Located<String>?
    package var fuzzy: Located<NumberLiteral>?
    /// `warn` or `refuse`: what `add` and `import` do with a new customer the rule matches.
    package var onAdd: Located<String>?
    package var location: SourceLocation
}

extension DeclarationReader {
    func readDuplicateRule(_ node: Node) -> DuplicateRuleDecl? {
        guard let m = MappingReader(node, subject: "a duplicate rule", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        return DuplicateRuleDecl(
            id: id, team: m.string("team"), table: m.string("table", required: true), package: m.string("package"),
            match: m.strings("match", required: true), normalize: m.string("normalize"),
            fuzzy: m.number("fuzzy"), onAdd: m.string("on_add"), location: m.location)
    }
}
