import ClienteleCore
/// The customers a permission group covers.
public struct CustomerScopeDecl: Sendable {
    public var departments: [Located<String>]?
    public var packages: [Located<String>]?
    public var where_: ExpressionSource?
    public var location: SourceLocation
}

public struct PermissionGroupDecl: Sendable {
    public var id: Located<String>
    public var name: Located<String>?
    public var team: Located<String>?
    public var roles: [Located<String>]
    public var users: [Located<String>]
    public var customers: CustomerScopeDecl?
    public var grants: [Located<String>]
    public var location: SourceLocation
}

/// `allow: [view, edit]`, `allow: granted` or `deny: [...]`.
public enum RuleEffectDecl: Sendable {
    case allow([Located<String>])
    case allowGranted(SourceLocation)
    case deny([Located<String>])
}

public struct RuleDecl: Sendable {
    public var id: Located<String>
    public var description: Located<String>?
    public var effect: RuleEffectDecl?
    public var when: ExpressionSource?
    public var unless: ExpressionSource?
    public var location: SourceLocation
}

public struct FieldRuleDecl: Sendable {
    public var id: Located<String>?
    public var roles: [Located<String>]
    public var users: [Located<String>]
    public var team: Located<String>?
    public var table: Located<String>?
    public var packages: [Located<String>]?
    public var read: [Located<String>]?
    public var write: [Located<String>]?
    /// field identity -> mask kind (`all`, `last4`, `first4`, `email`)
    public var mask: [(field: Located<String>, kind: Located<String>)]
    public var when: ExpressionSource?
    public var location: SourceLocation
}

extension DeclarationReader {
    func readPermissionGroup(_ node: Node) -> PermissionGroupDecl? {
        guard let m = MappingReader(node, subject: "a permission group", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        var scope: CustomerScopeDecl?
        if let c = m.mapping("customers", subject: "the customers of permission group '\(id.value)'") {
            scope = CustomerScopeDecl(departments: c.strings("departments"), packages: c.strings("packages"),
                                      where_: c.expression("where"), location: c.location)
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
        case let (allow?, deny?):
            diagnostics.error("rule '\(id.value)' both allows and denies; split it into two rules", at: deny.location,
                              notes: [.init("'allow' is given here", at: allow.location)])
        case let (allow?, nil):
            if let scalar = allow.scalar, !scalar.isString, scalar.text == "granted" {
                effect = .allowGranted(allow.location)
            } else if let actions = NodeValue.strings(allow, what: "'allow' of \(m.subject)", diagnostics) {
                effect = .allow(actions)
            }
        case let (nil, deny?):
            if let actions = NodeValue.strings(deny, what: "'deny' of \(m.subject)", diagnostics) {
                effect = .deny(actions)
            }
        case (nil, nil):
            diagnostics.error("rule '\(id.value)' needs 'allow' or 'deny'", at: m.location)
        }
        let when = m.expression("when")
        if when == nil, !m.has("when") {
            diagnostics.error("rule '\(id.value)' needs 'when': a rule that always applies is written 'when: true'", at: m.location)
        }
        return RuleDecl(id: id, description: m.string("description"), effect: effect, when: when,
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
