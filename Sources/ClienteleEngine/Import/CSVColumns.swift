import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// How the columns of a CSV header map onto a record: system keys or fields,
/// matched by identity or by display name (case and surrounding spaces ignored).
package struct CSVColumns {
    enum Target: Equatable {
        case id, accountExecutive, customerServiceRep, tags
        case sharedUsers, sharedDepartments, sharedRoles
        case field(identity: String, base: BaseType)
        case ignored
    }

    static let systemColumns: [(key: String, display: String, target: Target)] = [
        ("id", "Id", .id),
        ("account_executive", "Account executive", .accountExecutive),
        ("customer_service_rep", "Service representative", .customerServiceRep),
        ("tags", "Tags", .tags),
        ("shared_users", "Shared users", .sharedUsers),
        ("shared_departments", "Shared departments", .sharedDepartments),
        ("shared_roles", "Shared roles", .sharedRoles),
    ]

    let targets: [Target]
    let header: [String]
    /// identity or system key -> the header text, for messages.
    package let columnName: [String: String]

    package init(header: [String], validator: CustomerValidator, line: Int) throws(ImportFileError) {
        self.header = header
        var byName: [String: [Target]] = [:]
        func add(_ name: String, _ target: Target) {
            let key = Self.fold(name)
            if !(byName[key]?.contains(target) ?? false) { byName[key, default: []].append(target) }
        }
        for s in Self.systemColumns {
            add(s.key, s.target)
            add(s.display, s.target)
        }
        var identities: [String] = []
        for field in validator.fields {
            for (level, identity) in field.identities.enumerated() {
                let target = Target.field(identity: identity, base: field.spec.base)
                identities.append(identity)
                add(identity, target)
                if field.displays.indices.contains(level) { add(field.displays[level], target) }
            }
        }
        var targets: [Target] = []
        var names: [String: String] = [:]
        var used: [String: Int] = [:]
        for (k, cell) in header.enumerated() {
            let name = cell.trimmingWhitespace()
            guard let matches = byName[Self.fold(name)] else {
                let candidates = identities + validator.fields.flatMap(\.displays) + Self.systemColumns.map(\.display)
                throw ImportFileError(
                    "column '\(name)' is neither a field of \(validator.place) nor a system column\(Suggestion.didYouMean(name, in: candidates))",
                    line: line, column: k + 1)
            }
            guard matches.count == 1 else {
                let which = matches.compactMap {
                    if case .field(let id, _) = $0 { return "'\(id)'" } else { return nil }
                }
                throw ImportFileError(
                    "column '\(name)' could be any of the fields \(which.joined(separator: ", ")); head it with the field's identity instead",
                    line: line, column: k + 1)
            }
            let key = Self.key(matches[0])
            if let earlier = used[key] {
                throw ImportFileError(
                    "column '\(name)' fills the same value as column \(earlier + 1) ('\(header[earlier])')", line: line,
                    column: k + 1)
            }
            used[key] = k
            names[key] = name
            targets.append(matches[0])
        }
        self.targets = targets
        columnName = names
    }

    static func fold(_ s: String) -> String { s.trimmingWhitespace().lowercased() }

    static func key(_ target: Target) -> String {
        switch target {
        case .field(let identity, _): return identity
        default: return systemColumns.first { $0.target == target }?.key ?? ""
        }
    }

    /// A CSV row as a record; cells that parse as the field's JSON type become
    /// that type, others stay text so the validator can say what was expected.
    package func record(_ cells: [String], defaults: RecordValidator.Defaults) -> JSONValue {
        var top: [(String, JSONValue)] = []
        if let team = defaults.team { top.append(("team", .string(team))) }
        if let table = defaults.table { top.append(("table", .string(table.rawValue))) }
        if let package = defaults.package { top.append(("package", .string(package))) }
        var fields: [(String, JSONValue)] = []
        var shared: [(String, JSONValue)] = []
        for (k, target) in targets.enumerated() {
            let cell = k < cells.count ? cells[k] : ""
            let trimmed = cell.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            switch target {
            case .id: top.append(("id", .string(trimmed)))
            case .accountExecutive: top.append(("account_executive", .string(trimmed)))
            case .customerServiceRep: top.append(("customer_service_rep", .string(trimmed)))
            case .tags: top.append(("tags", Self.list(trimmed)))
            case .sharedUsers: shared.append(("users", Self.list(trimmed)))
            case .sharedDepartments: shared.append(("departments", Self.list(trimmed)))
            case .sharedRoles: shared.append(("roles", Self.list(trimmed)))
            case .ignored: continue
            case .field(let identity, let base):
                fields.append((identity, Self.typed(cell, trimmed, base)))
            }
        }
        if !shared.isEmpty { top.append(("shared", .object(shared))) }
        top.append(("fields", .object(fields)))
        return .object(top)
    }

    static func list(_ cell: String) -> JSONValue {
        .array(cell.split(separator: ";").map { .string(String($0).trimmingWhitespace()) }.filter { $0 != .string("") })
    }

    package static func typed(_ cell: String, _ trimmed: String, _ base: BaseType) -> JSONValue {
        switch base {
        case .integer, .decimal:
            if (try? JSONValue.parse(trimmed)).map({ if case .number = $0 { return true } else { return false } })
                == true
            {
                return .number(trimmed)
            }
            return .string(cell)
        case .boolean:
            switch trimmed.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return .string(cell)
            }
        case .multiselect, .upload:
            return list(trimmed)
        case .input, .text:
            return .string(cell)
        case .area:
            // An area is JSON text in a cell; anything else stays text, which the validator refuses.
            if let value = try? JSONValue.parse(trimmed), case .object = value { return value }
            return .string(trimmed)
        default:
            return .string(trimmed)
        }
    }
}
