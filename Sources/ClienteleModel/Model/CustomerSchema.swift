import ClienteleCore
import ClienteleSpec

/// The built-in tables every team has.
package enum TableKind: String, Sendable, CaseIterable, Hashable, Codable {
    case individual, organization
    case workOrder = "work_order"

    package var isCustomerTable: Bool { self != .workOrder }
}

/// The base types of spec section 4.
package enum BaseType: String, Sendable, CaseIterable, Hashable {
    case input, text, select, multiselect, integer, decimal, boolean, date, datetime, upload, relate
    /// A place on the map: a GeoJSON Polygon, or a circle around a point.
    case area
}

package enum TextFormat: String, Sendable, CaseIterable { case email, phone, url }

/// How a value is rewritten before it is stored and compared for uniqueness.
package enum Normalization: String, Sendable, CaseIterable {
    /// Surrounding white space removed.
    case trim
    /// Lower case (and trimmed).
    case lowercase
    /// Only digits kept, and a leading `+`.
    case digits
    /// `https://` added when no scheme is given; scheme and host lower-cased.
    case url
}

package struct SelectOption: Sendable, Equatable {
    package var value: String
    /// Earlier spellings that stored values are migrated from.
    package var was: [String]
}

/// A country / province / city tree: each node's children by name.
package struct RelateTree: Sendable, Equatable {
    package var children: [String: RelateTree]
    /// Names in the order they were written, for templates and messages.
    package var order: [String]

    package init(children: [String: RelateTree] = [:], order: [String] = []) {
        self.children = children
        self.order = order
    }

    /// The subtree at `path`, if every step exists.
    package func subtree(_ path: [String]) -> RelateTree? {
        var node = self
        for step in path {
            guard let next = node.children[step] else { return nil }
            node = next
        }
        return node
    }
}

/// A base type with its refinements: what a value of a field must be.
package struct FieldSpec: Sendable {
    package var base: BaseType
    /// The `field_types` name, when the field uses one.
    package var typeName: String?
    package var maxLength: Int?
    package var pattern: String?
    package var format: TextFormat?
    package var normalize: Normalization?
    package var options: [SelectOption] = []
    package var canEnter = false
    package var min: NumberLiteral?
    package var max: NumberLiteral?
    package var scale: Int?
    package var extensions: [String] = []
    package var maxSize: Int?
    package var maxFiles: Int?
    package var levels: [String] = []
    package var tree: RelateTree?

    package init(base: BaseType) { self.base = base }

    /// The maximum length that applies, default included.
    package var effectiveMaxLength: Int? {
        switch base {
        case .input: return maxLength ?? 255
        case .text: return maxLength ?? 10_000
        default: return nil
        }
    }
}

/// Where a field comes from, which decides which records have it.
package enum FieldOrigin: Sendable, Equatable {
    /// From the standard-fields library: every customer table and package.
    case standard
    /// A customization without `packages`: the main table and packages created after it.
    case mainTable
    /// A customization naming packages: those packages only.
    case packages([String])
}

/// One field of a table or package, resolved.
package struct Field: Sendable {
    /// One identity; a relate field has one per level.
    package var identities: [String]
    package var displays: [String]
    package var team: String?
    package var table: TableKind
    package var origin: FieldOrigin
    package var spec: FieldSpec
    package var required: Bool
    package var unique: Bool
    package var hidden: Bool
    /// The default, as a JSON value of the field's type.
    package var defaultValue: JSONValue?
    package var defaultLocation: SourceLocation?
    /// The identity this field was renamed from.
    package var was: String?
    package var location: SourceLocation

    package var identity: String { identities[0] }
    package var display: String { displays.first ?? identity }

    /// Whether two customizations reach the same records: main-table fields each other,
    /// package fields those sharing a package.
    package func sharesScope(with other: Field) -> Bool {
        switch (origin, other.origin) {
        case (.packages(let x), .packages(let y)): return !Set(x).isDisjoint(with: y)
        case (.packages, _), (_, .packages): return false
        default: return true
        }
    }

    /// "'email' (E-mail)": how messages name a field.
    package var label: String {
        if identities.count > 1 { return "'\(identities.joined(separator: "/"))' (\(displays.joined(separator: "/")))" }
        return display == identity ? "'\(identity)'" : "'\(identity)' (\(display))"
    }
}

package struct Package: Sendable {
    package enum Module: String, Sendable, CaseIterable {
        case campaign
        case callCenter = "call-center"
    }
    package var id: String
    package var name: String?
    package var team: String
    package var table: TableKind
    package var module: Module
    package var location: SourceLocation
}

package struct Numbering: Sendable, Equatable {
    package var prefix: String
    package var digits: Int

    package func format(_ n: Int) -> String {
        let s = String(n)
        return prefix + String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}

/// Which main-table fields each package received when it was created. Without a
/// store (first apply, validation, dry runs) every package inherits them all.
package struct PackageInheritance: Sendable, Equatable {
    /// package id -> identities of the main-table fields it inherited; a package
    /// missing here inherits every main-table field.
    package var inherited: [String: Set<String>]

    package init(inherited: [String: Set<String>] = [:]) { self.inherited = inherited }

    package static let everything = PackageInheritance()

    package func inherits(_ identity: String, package: String) -> Bool {
        inherited[package].map { $0.contains(identity) } ?? true
    }
}

/// Tables, packages and fields of every team.
package struct CustomerSchema: Sendable {
    package var packages: [Package] = []
    package var fieldTypes: [String: FieldSpec] = [:]
    /// Standard fields, per table kind (only when `standard-fields` is extended).
    package var standardFields: [TableKind: [Field]] = [:]
    /// Customizations, in declaration order.
    package var customizations: [Field] = []
    package var numbering: [TableKind: Numbering] = [:]

    package func package(_ id: String) -> Package? { packages.first { $0.id == id } }

    package func numbering(for table: TableKind) -> Numbering {
        numbering[table]
            ?? Numbering(prefix: table == .individual ? "P" : table == .organization ? "O" : "W", digits: 6)
    }

    /// The fields a record of (team, table, package) has, in display order:
    /// standard fields, then main-table or package customizations.
    package func fields(team: String, table: TableKind, package: String?, inheritance: PackageInheritance = .everything)
        -> [Field]
    {
        var result = standardFields[table] ?? []
        let module = package.flatMap { self.package($0) }?.module
        var own: [Field] = []
        var inherited: [Field] = []
        for field in customizations where field.team == team && field.table == table {
            switch field.origin {
            case .standard: continue
            case .mainTable:
                guard let package else {
                    own.append(field)
                    continue
                }
                if module == .callCenter { continue }
                if field.identities.allSatisfy({ inheritance.inherits($0, package: package) }) {
                    inherited.append(field)
                }
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
