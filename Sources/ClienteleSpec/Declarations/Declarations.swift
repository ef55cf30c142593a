import ClienteleCore
import Foundation

/// Everything a config directory declares, typed and located but not yet resolved:
/// the output of the Declarations stage and the input of the Model stage.
public struct Declarations: Sendable {
    public var project: ProjectDecl?
    public var teams: [TeamDecl] = []
    public var departments: [DepartmentDecl] = []
    public var roles: [RoleDecl] = []
    public var users: [UserDecl] = []
    public var tables: [TableDecl] = []
    public var packages: [PackageDecl] = []
    public var fieldTypes: [FieldTypeDecl] = []
    public var fields: [FieldDecl] = []
    public var views: [ViewDecl] = []
    public var permissionGroups: [PermissionGroupDecl] = []
    public var rules: [RuleDecl] = []
    public var fieldRules: [FieldRuleDecl] = []
    public var pools: [PoolDecl] = []
    public var tests: [TestDecl] = []

    public init() {}

    /// The top-level keys a file may hold, in the order the reference documents them.
    public static let sections = [
        "teams", "departments", "roles", "users", "tables", "packages", "field_types", "fields",
        "views", "permission_groups", "rules", "field_rules", "pools", "tests",
    ]
    /// Keys that only `clientele.yaml` may hold.
    public static let projectKeys = ["version", "name", "store", "extends"]
}

/// `clientele.yaml`'s own keys.
public struct ProjectDecl: Sendable {
    public var version: Located<Int>?
    public var name: Located<String>?
    public var store: Located<String>?
    public var extends: [Located<String>]
    public var location: SourceLocation
}

/// An expression as written in the YAML, located to its first character, with the
/// scalar style so that a column inside it can be mapped back to the file.
public struct ExpressionSource: Sendable, Equatable {
    public var text: String
    public var location: SourceLocation
    public var style: Node.ScalarStyle
}

extension NodeValue {
    static func expression(_ node: Node, what: String, _ diagnostics: DiagnosticCollector) -> ExpressionSource? {
        guard let scalar = node.scalar, !scalar.isNull else {
            diagnostics.error("\(what) must be an expression written as text, not \(node.kindDescription)", at: node.location)
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
