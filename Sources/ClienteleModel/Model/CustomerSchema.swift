import ClienteleCore
import ClienteleSpec
/// The built-in tables every team has.
public enum TableKind: String, Sendable, CaseIterable, Hashable, Codable {
    case individual, organization
    case workOrder = "work_order"

    public var isCustomerTable: Bool { self != .workOrder }
}

/// The base types of spec section 4.
public enum BaseType: String, Sendable, CaseIterable, Hashable {
    case input, text, select, multiselect, integer, decimal, boolean, date, datetime, upload, relate
}

public enum TextFormat: String, Sendable, CaseIterable { case email, phone, url }

/// How a value is rewritten before it is stored and compared for uniqueness.
public enum Normalization: String, Sendable, CaseIterable {
    /// Surrounding white space removed.
    case trim
    /// Lower case (and trimmed).
    case lowercase
    /// Only digits kept, and a leading `+`.
    case digits
    /// `https://` added when no scheme is given; scheme and host lower-cased.
    case url
}

public struct SelectOption: Sendable, Equatable {
    public var value: String
    /// Earlier spellings that stored values are migrated from.
    public var was: [String]
}

/// A country / province / city tree: each node's children by name.
public struct RelateTree: Sendable, Equatable {
    public var children: [String: RelateTree]
    /// Names in the order they were written, for templates and messages.
    public var order: [String]

    public init(children: [String: RelateTree] = [:], order: [String] = []) {
        self.children = children
        self.order = order
    }

    /// The subtree at `path`, if every step exists.
    public func subtree(_ path: [String]) -> RelateTree? {
        var node = self
        for step in path {
            guard let next = node.children[step] else { return nil }
            node = next
        }
        return node
    }
}

/// A base type with its refinements: what a value of a field must be.
public struct FieldSpec: Sendable {
    public var base: BaseType
    /// The `field_types` name, when the field uses one.
    public var typeName: String?
    public var maxLength: Int?
    public var pattern: String?
    public var format: TextFormat?
    public var normalize: Normalization?
    public var options: [SelectOption] = []
    public var canEnter = false
    public var min: NumberLiteral?
    public var max: NumberLiteral?
    public var scale: Int?
    public var extensions: [String] = []
    public var maxSize: Int?
    public var maxFiles: Int?
    public var levels: [String] = []
    public var tree: RelateTree?

    public init(base: BaseType) { self.base = base }

    /// The maximum length that applies, default included.
    public var effectiveMaxLength: Int? {
        switch base {
        case .input: return maxLength ?? 255
        case .text: return maxLength ?? 10_000
        default: return nil
        }
    }
}

/// Where a field comes from, which decides which records have it.
public enum FieldOrigin: Sendable, Equatable {
    /// From the standard-fields library: every customer table and package.
    case standard
    /// A customization without `packages`: the main table and packages created after it.
    case mainTable
    /// A customization naming packages: those packages only.
    case packages([String])
}

/// One field of a table or package, resolved.
public struct Field: Sendable {
    /// One identity; a relate field has one per level.
    public var identities: [String]
    public var displays: [String]
    public var team: String?
    public var table: TableKind
    public var origin: FieldOrigin
    public var spec: FieldSpec
    public var required: Bool
    public var unique: Bool
    public var hidden: Bool
    /// The default, as a JSON value of the field's type.
    public var defaultValue: JSONValue?
    public var defaultLocation: SourceLocation?
    /// The identity this field was renamed from.
    public var was: String?
    public var location: SourceLocation

    public var identity: String { identities[0] }
    public var display: String { displays.first ?? identity }

    /// Whether two customizations reach the same records: main-table fields each other,
    /// package fields those sharing a package.
    public func sharesScope(with other: Field) -> Bool {
        switch (origin, other.origin) {
        case (.packages(let x), .packages(let y)): return !Set(x).isDisjoint(with: y)
        case (.packages, _), (_, .packages): return false
        default: return true
        }
    }

    /// "'email' (E-mail)": how messages name a field.
    public var label: String {
        if identities.count > 1 { return "'\(identities.joined(separator: "/"))' (\(displays.joined(separator: "/")))" }
        return display == identity ? "'\(identity)'" : "'\(identity)' (\(display))"
    }
}

public struct Package: Sendable {
    public enum Module: String, Sendable, CaseIterable { case campaign, callCenter = "call-center" }
    public var id: String
    public var name: String?
    public var team: String
    public var table: TableKind
    public var module: Module
    public var location: SourceLocation
}

public struct Numbering: Sendable, Equatable {
    public var prefix: String
    public var digits: Int

    public func format(_ n: Int) -> String {
        let s = String(n)
        return prefix + String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}

/// Which main-table fields each package received when it was created. Without a
/// store (first apply, validation, dry runs) every package inherits them all.
public struct PackageInheritance: Sendable, Equatable {
    /// package id -> identities of the main-table fields it inherited; a package
    /// missing here inherits every main-table field.
    public var inherited: [String: Set<String>]

    public init(inherited: [String: Set<String>] = [:]) { self.inherited = inherited }

    public static let everything = PackageInheritance()

    public func inherits(_ identity: String, package: String) -> Bool {
        inherited[package].map { $0.contains(identity) } ?? true
    }
}

/// Tables, packages and fields of every team.
public struct CustomerSchema: Sendable {
    public var packages: [Package] = []
    public var fieldTypes: [String: FieldSpec] = [:]
    /// Standard fields, per table kind (only when `standard-fields` is extended).
    public var standardFields: [TableKind: [Field]] = [:]
    /// Customizations, in declaration order.
    public var customizations: [Field] = []
    public var numbering: [TableKind: Numbering] = [:]

    public func package(_ id: String) -> Package? { packages.first { $0.id == id } }

    public func numbering(for table: TableKind) -> Numbering {
        numbering[table] ?? Numbering(prefix: table == .individual ? "P" : table == .organization ? "O" : "W", digits: 6)
    }

    /// The fields a record of (team, table, package) has, in display order:
    /// standard fields, then main-table or package customizations.
    public func fields(team: String, table: TableKind, package: String?, inheritance: PackageInheritance = .everything) -> [Field] {
        var result = standardFields[table] ?? []
        let module = package.flatMap { self.package($0) }?.module
        var own: [Field] = []
        var inherited: [Field] = []
        for field in customizations where field.team == team && field.table == table {
            switch field.origin {
            case .standard: continue
            case .mainTable:
                guard let package else { own.append(field); continue }
                if module == .callCenter { continue }
                if field.identities.allSatisfy({ inheritance.inherits($0, package: package) }) { inherited.append(field) }
            case .packages(let list):
                if let package, list.contains(package) { own.append(field) }
            }
        }
        // A package's own customization of an identity beats the inherited one.
        let ownIdentities = Set(own.flatMap(\.identities))
        inherited.removeAll { $0.identities.contains { ownIdentities.contains($0) } }
        result.removeAll { $0.identities.contains { ownIdentities.contains($0) } }
        result.append(contentsOf: inherited)
        result.append(contentsOf: own)
        return result
    }
}
