import ClienteleCore
import ClienteleSpec

/// A resolved, checked configuration: the output of the Model stage.
/// Every name in it refers to something that exists.
package struct Model: Sendable {
    package var name: String?
    package var version: Int
    /// The store path as written (relative to the config directory).
    package var storePath: String
    package var extends: [String]
    /// How many days a deleted customer stays in the bin, where it may be restored.
    package var binDays: Int
    package var organization: Organization
    package var schema: CustomerSchema
    package var views: [View]
    package var permissionGroups: [PermissionGroup]
    package var rules: [Rule]
    package var fieldRules: [FieldRule]
    package var pools: [Pool]
    package var validationRules: [ValidationRule]
    package var lists: [SavedList]
    package var duplicates: [DuplicateRule]
    /// The kinds of records related to customers (`related:`).
    package var related: [RelatedKind]
    package var tests: [RuleTest]

    package func relatedKind(_ id: String) -> RelatedKind? { related.first { $0.id == id } }
}

/// A matching rule (`duplicates:`): customers of `table` (of `team`, of `package`, when
/// given) whose `match` fields all hold the same values, normalised by `normalize`
/// (each field's own `normalize:` without it), are duplicates; with `fuzzy`, values
/// as similar as that (0 to 1) are.
package struct DuplicateRule: Sendable {
    /// What a new customer that matches stored ones gets: a warning naming them, or a refusal.
    package enum DuplicateAction: String, Sendable, CaseIterable {
        case warn, refuse
    }

    package var id: String
    package var team: String?
    package var table: TableKind
    package var package: String?
    package var match: [String]
    package var normalize: Normalization?
    package var fuzzy: Double?
    /// What `add` and `import` do with a new customer the rule matches.
    package var onAdd: DuplicateAction = .warn
    package var location: SourceLocation

    package func covers(team: String, table: TableKind, package: String?) -> Bool {
        table == self.table && (self.team == nil || self.team == team)
            && (self.package == nil || self.package == package)
    }
}

/// A named filter with its columns and order (`lists:`), opened by `customer list --list`
/// by whom `visibleTo` selects (everyone without it).
package struct SavedList: Sendable {
    package struct SortKey: Sendable, Equatable {
        package var key: String
        package var descending: Bool
    }

    package var id: String
    package var name: String?
    package var team: String?
    package var table: TableKind
    package var package: String?
    package var filter: ExpressionSource?
    /// Field identities and `systemColumns`, in the order shown; empty: the fields as stored.
    package var columns: [String]
    package var sort: [SortKey]
    package var visibleTo: Selector?
    package var location: SourceLocation

    /// What a list may show and sort by besides the fields: what the store keeps of each customer.
    package static let systemColumns = [
        "id", "team", "table", "package", "account_executive", "customer_service_rep", "tags", "created_at",
        "created_by", "modified_at", "modified_by", "previous_account_executive", "claimed_at", "returned_at",
        "last_followup_at", "last_deal_at",
    ]

    package func isVisible(to user: String, in org: Organization) -> Bool {
        visibleTo.map { org.matches($0, user: user) } ?? true
    }
}

/// A rule over several fields (`validation_rules:`): a record of `table` (of `team`, of
/// `package`, when given) is refused with `message` when `when` holds.
package struct ValidationRule: Sendable {
    package var id: String
    package var team: String?
    package var table: TableKind
    package var package: String?
    package var when: ExpressionSource
    package var message: String
    /// The fields the refusal is about (an import names the first one's column).
    package var fields: [String]
    package var location: SourceLocation

    /// Whether the rule covers a record of this team, table and package.
    package func covers(team: String, table: TableKind, package: String?) -> Bool {
        table == self.table && (self.team == nil || self.team == team)
            && (self.package == nil || self.package == package)
    }
}

/// The actions of spec section 7.
package enum Action: String, Sendable, CaseIterable, Hashable, Codable {
    case create, view, edit, delete, share, unshare, tag, follow
    case returnToPool = "return_to_pool"
    case claim, assign
    case `import`, export
    /// Plan-free changes to the store's config: `apply` and `rollback` (not about one customer).
    case configure
    /// The automatic return of a pool (decided on the pool, not on one customer).
    case sweep
    /// Taking a deleted customer back out of the bin (decided on it as it last stood).
    case restore

    package static var names: [String] { allCases.map(\.rawValue) }

    /// The action's position in `allCases`, for tables indexed by action.
    package var ordinal: Int {
        switch self {
        case .create: 0
        case .view: 1
        case .edit: 2
        case .delete: 3
        case .share: 4
        case .unshare: 5
        case .tag: 6
        case .follow: 7
        case .returnToPool: 8
        case .claim: 9
        case .assign: 10
        case .import: 11
        case .export: 12
        case .configure: 13
        case .sweep: 14
        case .restore: 15
        }
    }
}

package struct View: Sendable {
    package enum Module: String, Sendable, CaseIterable {
        case customerService = "customer-service"
        case campaign
    }
    package var id: String
    package var name: String?
    package var module: Module
    package var team: String
    package var table: TableKind
    package var package: String?
    package var order: [String]
    package var hidden: [String]
    package var backgroundFields: [String]
    package var agentFields: [String]
    package var location: SourceLocation
}

package struct PermissionGroup: Sendable {
    package var id: String
    package var name: String?
    package var team: String?
    package var roles: [String]
    package var users: [String]
    /// Customers whose account executive is in one of these departments (or below); nil: any.
    package var departments: [String]?
    package var packages: [String]?
    package var customerFilter: ExpressionSource?
    package var grants: [Action]
    package var location: SourceLocation
}

package struct Rule: Sendable {
    package enum Effect: Sendable, Equatable {
        case allow([Action])
        case allowGranted
        case deny([Action])
    }
    package var id: String
    package var description: String?
    package var effect: Effect
    package var when: ExpressionSource?
    package var unless: ExpressionSource?
    package var location: SourceLocation
}

package struct FieldRule: Sendable {
    package enum Mask: String, Sendable, CaseIterable { case all, last4, first4, email }
    package var id: String?
    package var roles: [String]
    package var users: [String]
    package var team: String?
    package var table: TableKind?
    package var packages: [String]?
    package var read: [String]?
    package var write: [String]?
    package var mask: [(field: String, mask: Mask)]
    package var when: ExpressionSource?
    package var location: SourceLocation
}

/// Users chosen by id, or by department (with sub-departments) and role together.
package struct Selector: Sendable, Equatable {
    package var users: [String]
    package var departments: [String]
    package var roles: [String]

    package static let nobody = Selector(users: [], departments: [], roles: [])
}

package struct Pool: Sendable {
    package var id: String
    package var name: String?
    package var team: String
    package var admins: Selector
    package var members: Selector
    package var receives: Selector
    package var maxHeld: Int?
    package var maxPerDay: Int?
    package var cooldownDays: Int?
    package var reasons: [String]
    package var requireReason: Bool
    package var noFollowupDays: Int?
    package var noDealDays: Int?
    package var warnDaysBefore: Int?
    package var exemptTags: [String]
    package var hideInPool: [String]
    package var location: SourceLocation
}

package struct RuleTest: Sendable {
    package var name: String
    package var customers: [TestCustomerDecl]
    package var expectations: [Expectation]
    package var location: SourceLocation

    package struct Expectation: Sendable {
        package var user: String
        package var customer: String
        package var can: [Action]
        package var cannot: [Action]
        package var location: SourceLocation
    }
}
