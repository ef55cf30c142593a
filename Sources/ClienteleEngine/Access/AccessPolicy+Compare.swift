import ClienteleCore
import ClienteleModel

extension AccessPolicy {
    /// For one user and action, the rows `new` allows and `old` does not (gained) and
    /// the reverse (lost), deciding only the rows of `before` and `after` (sorted
    /// lists, such as the reach of changed rules under each policy). The two tables
    /// hold the same customers in the same rows.
    ///
    /// The loop lives here, beside the decisions, so that they are inlined into it:
    /// a plan of a rule change decides tens of millions of pairs.
    public static func changes(old: AccessPolicy, new: AccessPolicy, user u: Int, action: Action, before: [Int], after: [Int],
                               oldTable: CustomerTable, newTable: CustomerTable, now: Double) -> (gained: [Int], lost: [Int]) {
        var gained: [Int] = [], lost: [Int] = []
        var i = 0, j = 0
        while i < before.count || j < after.count {
            let c: Int
            if j == after.count || (i < before.count && before[i] < after[j]) { c = before[i]; i += 1 }
            else if i == before.count || after[j] < before[i] { c = after[j]; j += 1 }
            else { c = before[i]; i += 1; j += 1 }
            let allowedBefore = old.isAllowed(user: u, action: action, customer: c, in: oldTable, now: now)
            let allowedAfter = new.isAllowed(user: u, action: action, customer: c, in: newTable, now: now)
            if allowedAfter && !allowedBefore { gained.append(c) } else if allowedBefore && !allowedAfter { lost.append(c) }
        }
        return (gained, lost)
    }
}
