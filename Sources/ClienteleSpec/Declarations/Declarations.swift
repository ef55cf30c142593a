import ClienteleCore
import Foundation

/// Everything a config directory declares, typed and located but not yet resolved:
/// the output of the Declarations stage and the input of the Model stage.
package struct Declarations: Sendable {
    package var project: ProjectDecl?
    package var teams: [TeamDecl] = []
    package var departments: [DepartmentDecl] = []
    package var roles: [RoleDecl] = []
    package var users: [UserDecl] = []
    package var tables: [TableDecl] = []
    package var packages: [PackageDecl] = []
    package var fieldTypes: [FieldTypeDecl] = []
    package var fields: [FieldDecl] = []
    package var views: [ViewDecl] = []
    package var permissionGroups: [PermissionGroupDecl] = []
    package var rules: [RuleDecl] = []
    package var fieldRules: [FieldRuleDecl] = []
    package var pools: [PoolDecl] = []
    package var validationRules: [ValidationRuleDecl] = []
    package var lists: [SavedListDecl] = []
    package var duplicates: [DuplicateRuleDecl] = []
    package var related: [RelatedKindDecl] = []
    package var tests: [TestDecl] = []

    package init() {}

    /// The top-level keys a file may hold, in the order the reference documents them.
    package static let sections = [
        "teams", "departments", "roles", "users", "tables", "packages", "field_types", "fields",
        "views", "permission_groups", "rules", "field_rules", "pools", "validation_rules", "lists", "duplicates",
        "related", "tests",
    ]
    /// Keys that only `clientele.yaml` may hold.
    package static let projectKeys = ["version", "name", "store", "extends", "bin"]
}

/// `clientele.yaml`'s own keys.
package struct ProjectDecl: Sendable {
    package var version: Located<Int>?
    package var name: Located<String>?
    package var store: Located<String>?
    package var extends: [Located<String>]
    /// `bin: {days: N}`: how long a deleted customer may be restored.
    package var binDays: Located<Int>?
    package var location: SourceLocation
}

/// An expression as written in the YAML, located to its first character, with the
/// scalar style so that a column inside it can be mapped back to the file.
package struct ExpressionSource: Sendable, Equatable {
    package var text: String
    package var location: SourceLocation
    package var style: Node.ScalarStyle
}

extension NodeValue {
    static func expression(_ node: Node, what: String, _ diagnostics: DiagnosticCollector) -> ExpressionSource? {
        guard let scalar = node.scalar, !scalar.isNull else {
            diagnostics.error(
                "\(what) must be an expression written as text, not \(node.kindDescription)", at: node.location)
            return nil
        }
        if scalar.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            diagnostics.error("\(what) is empty", at: node.location)
            return nil
        }
        return ExpressionSource(text: scalar.text, location: node.location, style: scalar.style)
    }
}

extension MappingReader {
    func expression(_ key: String) -> ExpressionSource? {
        guard let node = value(key) else { return nil }
        return NodeValue.expression(node, what: "'\(key)' of \(subject)", diagnostics)
    }
}
