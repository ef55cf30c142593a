import ClienteleCore
/// `tables:` adjustments of one built-in table, applied to every team's copy of it.
public struct TableDecl: Sendable {
    public var name: Located<String>
    public var number: NumberingDecl?
    public var standard: [StandardFieldAdjustment]
    public var location: SourceLocation
}

public struct NumberingDecl: Sendable {
    public var prefix: Located<String>?
    public var digits: Located<Int>?
    public var location: SourceLocation
}

/// `standard: { name: { required: true } }`: one standard field's adjustments.
public struct StandardFieldAdjustment: Sendable {
    public var identity: Located<String>
    public var display: Located<String>?
    public var hidden: Located<Bool>?
    public var attributes: FieldAttributes
    public var location: SourceLocation
}

public struct PackageDecl: Sendable {
    public var id: Located<String>
    public var name: Located<String>?
    public var team: Located<String>?
    public var table: Located<String>?
    public var module: Located<String>?
    public var location: SourceLocation
}

/// A select option, with the values it replaces (`{value: Gold, was: [G, gold]}`).
public struct OptionDecl: Sendable {
    public var value: Located<String>
    public var was: [Located<String>]
}

/// The relate tree: inline nested mappings, or a file with one path per line.
public enum RelateTreeDecl: Sendable {
    case inline(Node)
    case file(Located<String>)
}

/// The keys that refine a base type; shared by `field_types`, `fields` and
/// standard-field adjustments. Which keys apply depends on the base type, which
/// the Model checks once types are resolved.
public struct FieldAttributes: Sendable {
    public var maxLength: Located<Int>?
    public var pattern: Located<String>?
    public var format: Located<String>?
    public var normalize: Located<String>?
    public var options: Located<[OptionDecl]>?
    public var canEnter: Located<Bool>?
    public var min: Located<NumberLiteral>?
    public var max: Located<NumberLiteral>?
    public var scale: Located<Int>?
    public var extensions: [Located<String>]?
    public var maxSize: Located<Int>?
    public var maxFiles: Located<Int>?
    public var levels: [Located<String>]?
    public var tree: RelateTreeDecl?
    public var required: Located<Bool>?
    public var unique: Located<Bool>?
    public var defaultValue: Node?

    /// Every attribute key, and the base types it belongs to.
    public static let keys: [(key: String, bases: [String])] = [
        ("max_length", ["input", "text"]),
        ("pattern", ["input"]),
        ("format", ["input"]),
        ("normalize", ["input"]),
        ("options", ["select", "multiselect"]),
        ("can_enter", ["select", "multiselect"]),
        ("min", ["integer", "decimal"]),
        ("max", ["integer", "decimal"]),
        ("scale", ["decimal"]),
        ("extensions", ["upload"]),
        ("max_size", ["upload"]),
        ("max_files", ["upload"]),
        ("levels", ["relate"]),
        ("tree", ["relate"]),
    ]

    /// Keys that every type takes on a field (not on a field type).
    public static let fieldOnlyKeys = ["required", "unique", "default"]
}

public struct FieldTypeDecl: Sendable {
    public var name: Located<String>
    public var base: Located<String>?
    public var attributes: FieldAttributes
    public var location: SourceLocation
}

/// One customization, as an administrator adds it on the Customization page.
public struct FieldDecl: Sendable {
    /// One identity, or one per level for a relate field.
    public var identities: [Located<String>]
    public var displays: [Located<String>]
    public var team: Located<String>?
    public var table: Located<String>?
    public var packages: [Located<String>]?
    public var type: Located<String>?
    public var attributes: FieldAttributes
    public var was: Located<String>?
    public var location: SourceLocation

    /// "field 'level'" or "field 'country/province/city'".
    public var subject: String {
        "field '\(identities.map(\.value).joined(separator: "/"))'"
    }
}

extension DeclarationReader {
    func readTable(name: Located<String>, _ node: Node) -> TableDecl? {
        guard let m = MappingReader(node, subject: "table '\(name.value)'", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        var numbering: NumberingDecl?
        if let n = m.mapping("number", subject: "the numbering of table '\(name.value)'") {
            numbering = NumberingDecl(prefix: n.string("prefix"), digits: n.integer("digits"), location: n.location)
            n.finish()
        }
        var adjustments: [StandardFieldAdjustment] = []
        if let s = m.mapping("standard", subject: "the standard fields of table '\(name.value)'") {
            s.allow(s.entries.map(\.key.value))
            for entry in s.entries {
                guard let a = MappingReader(entry.value, subject: "standard field '\(entry.key.value)'", diagnostics: diagnostics) else { continue }
                let display = a.string("display")
                let hidden = a.bool("hidden")
                let attributes = readAttributes(a, fieldKeys: true)
                a.finish()
                adjustments.append(StandardFieldAdjustment(identity: entry.key, display: display, hidden: hidden,
                                                           attributes: attributes, location: a.location))
            }
        }
        return TableDecl(name: name, number: numbering, standard: adjustments, location: m.location)
    }

    func readPackage(_ node: Node) -> PackageDecl? {
        guard let m = MappingReader(node, subject: "a package", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        return PackageDecl(id: id, name: m.string("name"), team: m.string("team", required: true),
                           table: m.string("table", required: true), module: m.string("module"), location: m.location)
    }

    func readFieldType(name: Located<String>, _ node: Node) -> FieldTypeDecl? {
        guard let m = MappingReader(node, subject: "field type '\(name.value)'", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        let base = m.string("base", required: true)
        let attributes = readAttributes(m, fieldKeys: false)
        return FieldTypeDecl(name: name, base: base, attributes: attributes, location: m.location)
    }

    func readField(_ node: Node) -> FieldDecl? {
        guard let m = MappingReader(node, subject: "a field", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let identityNode = m.value("identity") else {
            m.missing("identity")
            return nil
        }
        guard let identities = NodeValue.strings(identityNode, what: "'identity' of a field", diagnostics), !identities.isEmpty else {
            return nil
        }
        var decl = FieldDecl(identities: identities, displays: [], team: nil, table: nil, packages: nil, type: nil,
                             attributes: FieldAttributes(), was: nil, location: m.location)
        m.subject = decl.subject
        decl.displays = m.strings("display") ?? []
        decl.team = m.string("team", required: true)
        decl.table = m.string("table", required: true)
        decl.packages = m.strings("packages")
        decl.type = m.string("type", required: true)
        decl.was = m.string("was")
        decl.attributes = readAttributes(m, fieldKeys: true)
        return decl
    }

    func readAttributes(_ m: MappingReader, fieldKeys: Bool) -> FieldAttributes {
        var a = FieldAttributes()
        a.maxLength = m.integer("max_length")
        a.pattern = m.string("pattern")
        a.format = m.string("format")
        a.normalize = m.string("normalize")
        if let node = m.value("options") {
            a.options = Located(readOptions(node, subject: m.subject), at: node.location)
        }
        a.canEnter = m.bool("can_enter")
        a.min = m.number("min")
        a.max = m.number("max")
        a.scale = m.integer("scale")
        a.extensions = m.strings("extensions")
        a.maxSize = m.integer("max_size")
        a.maxFiles = m.integer("max_files")
        a.levels = m.strings("levels")
        if let node = m.value("tree") {
            if let scalar = node.scalar, !scalar.isNull {
                a.tree = .file(Located(scalar.text, at: node.location))
            } else if node.mapping != nil {
                a.tree = .inline(node)
            } else {
                diagnostics.error("'tree' of \(m.subject) must be a file name or nested mappings, not \(node.kindDescription)", at: node.location)
            }
        }
        if fieldKeys {
            a.required = m.bool("required")
            a.unique = m.bool("unique")
            a.defaultValue = m.value("default")
        }
        return a
    }

    private func readOptions(_ node: Node, subject: String) -> [OptionDecl] {
        NodeValue.list(node, what: "'options' of \(subject)", diagnostics).compactMap { item in
            if item.mapping != nil {
                guard let o = MappingReader(item, subject: "an option of \(subject)", diagnostics: diagnostics) else { return nil }
                defer { o.finish() }
                guard let value = o.string("value", required: true) else { return nil }
                return OptionDecl(value: value, was: o.strings("was") ?? [])
            }
            guard let value = NodeValue.string(item, what: "an option of \(subject)", diagnostics) else { return nil }
            return OptionDecl(value: value, was: [])
        }
    }
}
