import ClienteleCore

/// The customers a permission group covers.
package struct CustomerScopeDecl: Sendable {
    package var departments: [Located<String>]?
    package var packages: [Located<String>]?
    package var customerFilter: ExpressionSource?
    package var location: SourceLocation
}

package struct PermissionGroupDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var team: Located<String>?
    package var roles: [Located<String>]
    package var users: [Located<String>]
    package var customers: CustomerScopeDecl?
    package var grants: [Located<String>]
    package var location: SourceLocation
}

/// `allow: [view, edit]`, `allow: granted` or `deny: [...]`.
package enum RuleEffectDecl: Sendable {
    case allow([Located<String>])
    case allowGranted(SourceLocation)
    case deny([Located<String>])
}

package struct RuleDecl: Sendable {
    package var id: Located<String>
    package var description: Located<String>?
    package var effect: RuleEffectDecl?
    package var when: ExpressionSource?
    package var unless: ExpressionSource?
    package var location: SourceLocation
}

package struct FieldRuleDecl: Sendable {
    package var id: Located<String>?
    package var roles: [Located<String>]
    package var users: [Located<String>]
    package var team: Located<String>?
    package var table: Located<String>?
    package var packages: [Located<String>]?
    package var read: [Located<String>]?
    package var write: [Located<String>]?
    /// field identity -> mask kind (`all`, `last4`, `first4`, `email`)
    package var mask: [(field: Located<String>, kind: Located<String>)]
    package var when: ExpressionSource?
    package var location: SourceLocation
}

extension DeclarationReader {
    func readPermissionGroup(_ node: Node) -> PermissionGroupDecl? {
        guard let m = MappingReader(node, subject: "a permission group", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        var scope: CustomerScopeDecl?
        if let c = m.mapping("customers", subject: "the customers of permission group '\(id.value)'") {
            scope = CustomerScopeDecl(
                departments: c.strings("departments"), packages: c.strings("packages"),
                customerFilter: c.expression("where"), location: c.location)
            c.finish()
        }
        return PermissionGroupDecl(
            id: id, name: m.string("name"), team: m.string("team"), roles: m.strings("roles") ?? [],
            users: m.strings("users") ?? [], customers: scope, grants: m.strings("grants", required: true) ?? [],
            location: m.location)
    }

    func readRule(_ node: Node) -> RuleDecl? {
        guard let m = MappingReader(node, subject: "a rule", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        var effect: RuleEffectDecl?
        let allowNode = m.value("allow")
        let denyNode = m.value("deny")
        switch (allowNode, denyNode) {
        case (let allow?, let deny?):
            diagnostics.error(
                "rule '\(id.value)' both allows and denies; split it into two rules", at: deny.location,
                notes: [.init("'allow' is given here", at: allow.location)])
        case (let allow?, nil):
            if let scalar = allow.scalar, !scalar.isString, scalar.text == "granted" {
                effect = .allowGranted(allow.location)
            } else if let actions = NodeValue.strings(allow, what: "'allow' of \(m.subject)", diagnostics) {
                effect = .allow(actions)
            }
        case (nil, let deny?):
            if let actions = NodeValue.strings(deny, what: "'deny' of \(m.subject)", diagnostics) {
                effect = .deny(actions)
            }
        case (nil, nil):
            diagnostics.error("rule '\(id.value)' needs 'allow' or 'deny'", at: m.location)
        }
        let when = m.expression("when")
        if when == nil, !m.has("when") {
            diagnostics.error(
                "rule '\(id.value)' needs 'when': a rule that always applies is written 'when: true'", at: m.location)
        }
        return RuleDecl(
            id: id, description: m.string("description"), effect: effect, when: when,
            unless: m.expression("unless"), location: m.location)
    }

    func readFieldRule(_ node: Node) -> FieldRuleDecl? {
        guard let m = MappingReader(node, subject: "a field rule", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        let id = m.string("id")
        if let id {
            m.subject = "field rule '\(id.value)'"
            checkId(id, kind: "field rule")
        }
        var masks: [(field: Located<String>, kind: Located<String>)] = []
        if let mm = m.mapping("mask", subject: "the masks of \(m.subject)") {
            mm.allow(mm.entries.map(\.key.value))
            for entry in mm.entries {
                if let kind = NodeValue.string(entry.value, what: "the mask of '\(entry.key.value)'", diagnostics) {
                    masks.append((entry.key, kind))
                }
            }
        }
        return FieldRuleDecl(
            id: id, roles: m.strings("roles") ?? [], users: m.strings("users") ?? [], team: m.string("team"),
            table: m.string("table"), packages: m.strings("packages"), read: m.strings("read"),
            write: m.strings("write"), mask: masks, when: m.expression("when"), location: m.location)
    }
}
