/// The keys of a stored customer document besides its `fields`: the one list of
/// them, which the validators, the access columns, the operations and the rule
/// tests all read.
///
///     {"id":"P000001","team":"sales","table":"individual","package":null,
///      "account_executive":"sam","customer_service_rep":null,"shared":{...},"tags":[],
///      "fields":{...},"created_at":"...","created_by":"sam",...}
public enum StoredKey: String, CaseIterable, Sendable {
    case id, team, table, package
    case accountExecutive = "account_executive"
    case customerServiceRep = "customer_service_rep"
    case shared, tags, fields
    case createdAt = "created_at"
    case createdBy = "created_by"
    case modifiedAt = "modified_at"
    case modifiedBy = "modified_by"
    case followers, pool
    case previousAccountExecutive = "previous_account_executive"
    case claimedAt = "claimed_at"
    case returnedAt = "returned_at"
    case lastFollowupAt = "last_followup_at"
    case lastDealAt = "last_deal_at"
    case deal
    case returnReason = "return_reason"
    case poolPolicyVersion = "pool_policy_version"

    /// The key as it is written in a document.
    public var name: String { rawValue }

    /// The owners a user may assign on add and edit (`account_executive=USER`).
    public static let assignable: [StoredKey] = [.accountExecutive, .customerServiceRep]

    /// What the store keeps and only the operations write: times, who, followers
    /// and what the pools record. An import row or an edit never sets them.
    public static let storeKept: [StoredKey] = [
        .createdAt, .createdBy, .modifiedAt, .modifiedBy, .followers, .pool, .previousAccountExecutive,
        .claimedAt, .returnedAt, .lastFollowupAt, .lastDealAt, .deal, .returnReason, .poolPolicyVersion,
    ]

    /// The times rules compare with `now`, in the order of the access columns.
    public static let times: [StoredKey] = [
        .claimedAt, .returnedAt, .lastFollowupAt, .createdAt, .modifiedAt, .lastDealAt,
    ]

    /// What a rule test's customer may give besides field values.
    public static let testCustomer: [StoredKey] = [
        .team, .table, .package, .accountExecutive, .customerServiceRep, .shared, .tags, .followers, .pool,
        .previousAccountExecutive, .claimedAt, .returnedAt, .lastFollowupAt, .lastDealAt, .createdBy,
    ]
}
