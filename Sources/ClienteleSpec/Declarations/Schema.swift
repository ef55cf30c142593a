import ClienteleCore

/// `tables:` adjustments of one built-in table, applied to every team's copy of it.
package struct TableDecl: Sendable {
    package var name: Located<String>
    package var number: NumberingDecl?
    package var standard: [StandardFieldAdjustment]
    package var location: SourceLocation
}

package struct NumberingDecl: Sendable {
    package var prefix: Located<String>?
    package var digits: Located<Int>?
    package var location: SourceLocation
}

/// `standard: { name: { required: true } }`: one standard field's adjustments.
package struct StandardFieldAdjustment: Sendable {
    package var identity: Located<String>
    package var display: Located<String>?
    package var hidden: Located<Bool>?
    package var attributes: FieldAttributes
    package var location: SourceLocation
}

package struct PackageDecl: Sendable {
    package var id: Located<String>
    package var name: Located<String>?
    package var team: Located<String>?
    package var table: Located<String>?
    package var module: Located<String>?
    package var location: SourceLocation
}

/// A select option, with the values it replaces (`{value: Gold, was: [G, gold]}`).
package struct OptionDecl: Sendable {
    package var value: Located<String>
    package var was: [Located<String>]
}

/// The relate tree: inline nested mappings, or a file with one path per line.
package enum RelateTreeDecl: Sendable {
    case inline(Node)
    case file(Located<String>)
}

/// The keys that refine a base type; shared by `field_types`, `fields` and
/// standard-field adjustments. Which keys apply depends on the base type, which
/// the Model checks once types are resolved.
package struct FieldAttributes: Sendable {
    package var maxLength: Located<Int>?
    package var pattern: Located<String>?
    package var format: Located<String>?
    package var normalize: Located<String>?
    package var options: Located<[OptionDecl]>?
    package var canEnter: Located<Bool>?
    package var min: Located<NumberLiteral>?
    package var max: Located<NumberLiteral>?
    package var scale: Located<Int>?
    package var extensions: [Located<String>]?
    package var maxSize: Located<Int>?
    package var maxFiles: Located<Int>?
    package var levels: [Located<String>]?
    package var tree: RelateTreeDecl?
    package var required: Located<Bool>?
    package var unique: Located<Bool>?
    package var defaultValue: Node?

    /// Every attribute key, and the base types it belongs to.
    package static let keys: [(key: String, bases: [String])] = [
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
    package static let fieldOnlyKeys = ["required", "unique", "default"]
}

package struct FieldTypeDecl: Sendable {
    package var name: Located<String>
    package var base: Located<String>?
    package var attributes: FieldAttributes
    package var location: SourceLocation
}

/// One customization, as an administrator adds it on the Customization page.
package struct FieldDecl: Sendable {
    /// One identity, or one per level for a relate field.
    package var identities: [Located<String>]
    package var displays: [Located<String>]
    package var team: Located<String>?
    package var table: Located<String>?
    package var packages: [Located<String>]?
    package var type: Located<String>?
    package var attributes: FieldAttributes
    package var was: Located<String>?
    package var location: SourceLocation
    /// What declares the field when `fields:` does not: "related kind 'contacts'".
    package var owner: String?

    /// "field 'level'", "field 'country/province/city'" or "field 'role' of related kind 'contacts'".
    package var subject: String {
        "field '\(identities.map(\.value).joined(separator: "/"))'" + (owner.map { " of \($0)" } ?? "")
    }
}

extension DeclarationReader {
    func readTable(name: Located<String>, _ node: Node) -> TableDecl? {
        guard let m = MappingReader(node, subject: "table '\(name.value)'", diagnostics: diagnostics) else {
            return nil
        }
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
                guard
                    let a = MappingReader(
                        entry.value, subject: "standard field '\(entry.key.value)'", diagnostics: diagnostics)
                else { continue }
                let display = a.string("display")
                let hidden = a.bool("hidden")
                let attributes = readAttributes(a, fieldKeys: true)
                a.finish()
                adjustments.append(
                    StandardFieldAdjustment(
                        identity: entry.key, display: display, hidden: hidden,
                        attributes: attributes, location: a.location))
            }
        }
        return TableDecl(name: name, number: numbering, standard: adjustments, location: m.location)
    }

    func readPackage(_ node: Node) -> PackageDecl? {
        guard let m = MappingReader(node, subject: "a package", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let id = identify(m) else { return nil }
        return PackageDecl(
            id: id, name: m.string("name"), team: m.string("team", required: true),
            table: m.string("table", required: true), module: m.string("module"), location: m.location)
    }

    func readFieldType(name: Located<String>, _ node: Node) -> FieldTypeDecl? {
        guard let m = MappingReader(node, subject: "field type '\(name.value)'", diagnostics: diagnostics) else {
            return nil
        }
        defer { m.finish() }
        let base = m.string("base", required: true)
        let attributes = readAttributes(m, fieldKeys: false)
        return FieldTypeDecl(name: name, base: base, attributes: attributes, location: m.location)
    }

    /// A field of `fields:`, or of a related kind (`kind`, "related kind 'contacts'"),
    /// whose fields take the kind's team and name no table or packages.
    func readField(_ node: Node, of kind: String? = nil) -> FieldDecl? {
        guard let m = MappingReader(node, subject: "a field", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let identityNode = m.value("identity") else {
            m.missing("identity")
            return nil
        }
        guard let identities = NodeValue.strings(identityNode, what: "'identity' of a field", diagnostics),
            !identities.isEmpty
        else {
            return nil
        }
        var decl = FieldDecl(
            identities: identities, displays: [], team: nil, table: nil, packages: nil, type: nil,
            attributes: FieldAttributes(), was: nil, location: m.location, owner: kind)
        m.subject = decl.subject
        decl.displays = m.strings("display") ?? []
        if kind == nil {
            decl.team = m.string("team", required: true)
            decl.table = m.string("table", required: true)
            decl.packages = m.strings("packages")
            decl.was = m.string("was")
        }
        decl.type = m.string("type", required: true)
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
                diagnostics.error(
                    "'tree' of \(m.subject) must be a file name or nested mappings, not \(node.kindDescription)",
                    at: node.location)
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
                guard let o = MappingReader(item, subject: "an option of \(subject)", diagnostics: diagnostics) else {
                    return nil
                }
                defer { o.finish() }
                guard let value = o.string("value", required: true) else { return nil }
                return OptionDecl(value: value, was: o.strings("was") ?? [])
            }
            guard let value = NodeValue.string(item, what: "an option of \(subject)", diagnostics) else { return nil }
            return OptionDecl(value: value, was: [])
        }
    }
}
