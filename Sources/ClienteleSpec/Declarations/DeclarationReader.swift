import ClienteleCore

/// Reads the root mapping of one file into `Declarations`, appending to what
/// earlier files declared. Merging rules (duplicate ids across files) belong to
/// the Model stage, which sees every declaration with its location.
final class DeclarationReader {
    let diagnostics: DiagnosticCollector
    var declarations: Declarations

    init(into declarations: Declarations = Declarations(), diagnostics: DiagnosticCollector) {
        self.declarations = declarations
        self.diagnostics = diagnostics
    }

    /// Reads one file. `isProject` is true for `clientele.yaml`, the only file that
    /// may hold `version`, `name`, `store` and `extends`.
    func read(file root: Node?, displayPath: String, isProject: Bool) {
        guard let root else {
            if isProject {
                diagnostics.error(
                    "clientele.yaml is empty; it needs at least 'version: 1'",
                    at: SourceLocation(file: displayPath, line: 1, column: 1))
            }
            return
        }
        guard let m = MappingReader(root, subject: "the top level of \(displayPath)", diagnostics: diagnostics) else {
            return
        }
        if isProject {
            var extends: [Located<String>] = []
            if let node = m.value("extends") {
                extends = NodeValue.strings(node, what: "'extends'", diagnostics) ?? []
            }
            var binDays: Located<Int>?
            if let bin = m.mapping("bin", subject: "'bin'") {
                binDays = bin.integer("days", required: true)
                bin.finish()
            }
            declarations.project = ProjectDecl(
                version: m.integer("version"), name: m.string("name"),
                store: m.string("store"), extends: extends, binDays: binDays, location: m.location)
        } else {
            for key in Declarations.projectKeys {
                if let location = m.keyLocation(key) {
                    diagnostics.error("'\(key)' belongs in clientele.yaml, not in \(displayPath)", at: location)
                }
            }
            m.allow(Declarations.projectKeys)
        }
        readList(m, "teams", readTeam) { self.declarations.teams.append($0) }
        readList(m, "departments", readDepartment) { self.declarations.departments.append($0) }
        readList(m, "roles", readRole) { self.declarations.roles.append($0) }
        readList(m, "users", readUser) { self.declarations.users.append($0) }
        readMap(m, "tables", readTable) { self.declarations.tables.append($0) }
        readList(m, "packages", readPackage) { self.declarations.packages.append($0) }
        readMap(m, "field_types", readFieldType) { self.declarations.fieldTypes.append($0) }
        readList(m, "fields", { self.readField($0) }, { self.declarations.fields.append($0) })
        readList(m, "views", readView) { self.declarations.views.append($0) }
        readList(m, "permission_groups", readPermissionGroup) { self.declarations.permissionGroups.append($0) }
        readList(m, "rules", readRule) { self.declarations.rules.append($0) }
        readList(m, "field_rules", readFieldRule) { self.declarations.fieldRules.append($0) }
        readList(m, "pools", readPool) { self.declarations.pools.append($0) }
        readList(m, "validation_rules", readValidationRule) { self.declarations.validationRules.append($0) }
        readList(m, "lists", readSavedList) { self.declarations.lists.append($0) }
        readList(m, "duplicates", readDuplicateRule) { self.declarations.duplicates.append($0) }
        readList(m, "related", readRelatedKind) { self.declarations.related.append($0) }
        readList(m, "tests", readTest) { self.declarations.tests.append($0) }
        // Unknown top-level keys are suggested among sections (and project keys in clientele.yaml).
        m.finish()
    }

    private func readList<T>(_ m: MappingReader, _ key: String, _ read: (Node) -> T?, _ add: (T) -> Void) {
        guard let node = m.value(key) else { return }
        if let scalar = node.scalar, scalar.isNull { return }
        for item in NodeValue.list(node, what: "'\(key)'", diagnostics) {
            if let value = read(item) { add(value) }
        }
    }

    private func readMap<T>(
        _ m: MappingReader, _ key: String, _ read: (Located<String>, Node) -> T?, _ add: (T) -> Void
    ) {
        guard let node = m.value(key) else { return }
        if let scalar = node.scalar, scalar.isNull { return }
        guard let entries = node.mapping else {
            diagnostics.error(
                "'\(key)' must be a mapping of names to settings, not \(node.kindDescription)", at: node.location)
            return
        }
        for entry in entries {
            if let value = read(entry.key, entry.value) { add(value) }
        }
    }

    /// Reads the required `id`, checks its syntax and names the subject after it.
    func identify(_ m: MappingReader) -> Located<String>? {
        let kind = m.subject.hasPrefix("a ") ? String(m.subject.dropFirst(2)) : m.subject
        guard let id = m.string("id", required: true) else {
            // The rest is not read: only a misspelled 'id' is worth a word.
            m.finish(misspelledOnly: true)
            return nil
        }
        m.subject = "\(kind) '\(id.value)'"
        checkId(id, kind: kind)
        return id
    }

    func checkId(_ id: Located<String>, kind: String) {
        if !Identifier.isValidId(id.value) {
            diagnostics.error(
                "'\(id.value)' is not a valid \(kind) id: use letters, digits and . _ @ -, starting with a letter or digit",
                at: id.location)
        }
    }
}

/// The syntax of ids and field identities (spec section 1 and 4).
package enum Identifier {
    package static func isValidId(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, isASCIIAlnum(first) else { return false }
        return s.unicodeScalars.allSatisfy { isASCIIAlnum($0) || $0 == "." || $0 == "_" || $0 == "@" || $0 == "-" }
    }

    /// Customization identities: ASCII letters only.
    package static func isValidIdentity(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) }
    }

    static func isASCIIAlnum(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }
}
