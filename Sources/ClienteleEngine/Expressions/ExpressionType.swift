import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// The type of an expression value, as the checker sees it.
package indirect enum ExpressionType: Sendable, Equatable, CustomStringConvertible {
    case bool, number, duration, datetime, null
    case text(Domain)
    case list(ExpressionType)

    /// What a piece of text names, so literals can be checked against the config.
    package enum Domain: Sendable, Equatable {
        case free, user, department, role, team, package, pool, table, tag
        /// The options of a select field (several fields may share an identity).
        case option(field: String, options: [String], canEnter: Bool)

        var noun: String {
            switch self {
            case .free: return "text"
            case .user: return "a user"
            case .department: return "a department"
            case .role: return "a role"
            case .team: return "a team"
            case .package: return "a package"
            case .pool: return "a pool"
            case .table: return "a table"
            case .tag: return "a tag"
            case .option(let field, _, _): return "an option of '\(field)'"
            }
        }

        /// Entity domains hold interned indexes at run time.
        var isEntity: Bool {
            switch self {
            case .user, .department, .role, .team, .package, .pool: return true
            default: return false
            }
        }
    }

    package var description: String {
        switch self {
        case .bool: return "true or false"
        case .number: return "a number"
        case .duration: return "a duration"
        case .datetime: return "a date and time"
        case .null: return "null"
        case .text(let d): return d.noun
        case .list(let e): return "a list of \(e.pluralNoun)"
        }
    }

    var pluralNoun: String {
        switch self {
        case .text(.user): return "users"
        case .text(.department): return "departments"
        case .text(.role): return "roles"
        case .text(.team): return "teams"
        case .text(.tag): return "tags"
        case .text(.option(let f, _, _)): return "options of '\(f)'"
        case .number: return "numbers"
        default: return "values"
        }
    }
}

/// A value at run time: entities (users, departments, roles, teams, packages,
/// pools) are interned indexes.
package enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case text(String)
    case id(Int32)
    case list([Value])

    var isGiven: Bool {
        switch self {
        case .null: return false
        case .text(let s): return !s.isEmpty
        case .list(let l): return !l.isEmpty
        case .id(let i): return i >= 0
        default: return true
        }
    }
}
