import ClienteleCore

/// A rule over several fields of a record (`validation_rules:`): the record is refused
/// with `message` when `when` holds.
package struct ValidationRuleDecl: Sendable {
    package var id: Located<String>
    package var team: Located<String>?
    package var table: Located<String>?
    package var package: Located<String>?
    package var when: ExpressionSource?
    package var message: Located<String>?
    /// The fields the refusal is about: an import names the first one's column.
    package var fields: [Located<String>]
    package var location: SourceLocation
}

extension DeclarationReader {
    func readValidationRule(_ node: Node) -> ValidationRuleDecl? {
        guard let m = MappingReader(node, subject: "a validation rule", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        if m.value("when") == nil { m.missing("when") }
        let when = m.expression("when")
        let message = m.string("message", required: true)
        return ValidationRuleDecl(
            id: id, team: m.string("team"), table: m.string("table", required: true), package: m.string("package"),
            when: when, message: message, fields: m.strings("fields") ?? [], location: m.location)
    }
}
