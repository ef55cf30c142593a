import ClienteleCore
import ClienteleSpec
/// A resolved, checked configuration: the output of the Model stage.
/// Every name in it refers to something that exists.
public struct Model: Sendable {
    public var name: String?
    public var version: Int
    /// The store path as written (relative to the config directory).
    public var storePath: String
    public var extends: [String]
    public var organization: Organization
    public var schema: CustomerSchema
    public var views: [View]
    public var permissionGroups: [PermissionGroup]
    public var rules: [Rule]
    public var fieldRules: [FieldRule]
    public var pools: [Pool]
    public var tests: [RuleTest]
}

/// The actions of spec section 7.
public enum Action: String, Sendable, CaseIterable, Hashable, Codable {
    case create, view, edit, delete, share, unshare, tag, follow
    case returnToPool = "return_to_pool"
    case claim, assign
    case `import`, export
    /// Plan-free changes to the store's config: `apply` and `rollback` (not about one customer).
    case configure
    /// The automatic return of a pool (decided on the pool, not on one customer).
    case sweep

    public static var names: [String] { allCases.map(\.rawValue) }

    /// The action's position in `allCases`, for tables indexed by action.
    public var ordinal: Int {
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
        }
    }
}

public struct View: Sendable {
    public enum Module: String, Sendable, CaseIterable { case customerService = "customer-service", campaign }
    public var id: String
    public var name: String?
    public var module: Module
    public var team: String
    public var table: TableKind
    public var package: String?
    public var order: [String]
    public var hidden: [String]
    public var backgroundFields: [String]
    public var agentFields: [String]
    public var location: SourceLocation
}

public struct PermissionGroup: Sendable {
    public var id: String
    public var name: String?
    public var team: String?
    public var roles: [String]
    public var users: [String]
    /// Customers whose account executive is in one of these departments (or below); nil: any.
    public var departments: [String]?
    public var packages: [String]?
    public var where_: ExpressionSource?
    public var grants: [Action]
    public var location: SourceLocation
}

public struct Rule: Sendable {
    public enum Effect: Sendable, Equatable {
        case allow([Action])
        case allowGranted
        case deny([Action])
    }
    public var id: String
    public var description: String?
    public var effect: Effect
    public var when: ExpressionSource?
    public var unless: ExpressionSource?
    public var location: SourceLocation
}

public struct FieldRule: Sendable {
    public enum Mask: String, Sendable, CaseIterable { case all, last4, first4, email }
    public var id: String?
    public var roles: [String]
    public var users: [String]
    public var team: String?
    public var table: TableKind?
    public var packages: [String]?
    public var read: [String]?
    public var write: [String]?
    public var mask: [(field: String, mask: Mask)]
    public var when: ExpressionSource?
    public var location: SourceLocation
}

/// Users chosen by id, or by department (with sub-departments) and role together.
public struct Selector: Sendable, Equatable {
    public var users: [String]
    public var departments: [String]
    public var roles: [String]

    public static let nobody = Selector(users: [], departments: [], roles: [])
}

public struct Pool: Sendable {
    public var id: String
    public var name: String?
    public var team: String
    public var admins: Selector
    public var members: Selector
    public var receives: Selector
    public var maxHeld: Int?
    public var maxPerDay: Int?
    public var cooldownDays: Int?
    public var reasons: [String]
    public var requireReason: Bool
    public var noFollowupDays: Int?
    public var noDealDays: Int?
    public var warnDaysBefore: Int?
    public var exemptTags: [String]
    public var hideInPool: [String]
    public var location: SourceLocation
}

public struct RuleTest: Sendable {
    public var name: String
    public var customers: [TestCustomerDecl]
    public var expectations: [Expectation]
    public var location: SourceLocation

    public struct Expectation: Sendable {
        public var user: String
        public var customer: String
        public var can: [Action]
        public var cannot: [Action]
        public var location: SourceLocation
    }
}
