import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Posting lists over a customer table: which customers have a given account
/// executive, service representative, share, follower, team, pool, or account
/// executive's department. `visible` reads candidates from here instead of
/// deciding on every customer.
package final class CustomerIndex: Sendable {
    /// key -> customers, flattened.
    struct Postings: Sendable {
        let offsets: [Int32]
        let values: [Int32]

        init(keys: Int, _ pairs: (_ emit: (Int, Int32) -> Void) -> Void) {
            var counts = [Int32](repeating: 0, count: keys + 1)
            pairs { key, _ in if key >= 0 && key < keys { counts[key + 1] += 1 } }
            for k in 0..<keys { counts[k + 1] += counts[k] }
            var fill = counts
            var values = [Int32](repeating: 0, count: Int(counts[keys]))
            pairs { key, c in
                guard key >= 0 && key < keys else { return }
                values[Int(fill[key])] = c
                fill[key] += 1
            }
            offsets = counts
            self.values = values
        }

        func list(_ key: Int) -> ArraySlice<Int32> {
            guard key >= 0, key + 1 < offsets.count else { return [] }
            return values[Int(offsets[key])..<Int(offsets[key + 1])]
        }
    }

    let byAccountExecutive: Postings
    let byServiceRep: Postings
    let bySharedUser: Postings
    let bySharedDepartment: Postings
    let bySharedRole: Postings
    let byFollower: Postings
    let byTeam: Postings
    let byPool: Postings
    let byAccountExecutiveDepartment: Postings

    /// The lists of `t`; the account executives' departments are those of `org` (by
    /// default the organisation the table was loaded with; a plan reads the applied
    /// table under the new one).
    package init(_ t: CustomerTable, org: OrgIndex? = nil) {
        let org = org ?? t.org
        let n = t.count
        let users = org.userIds.count
        let departments = org.departmentIds.count
        func single(_ keys: Int, _ column: [Int32]) -> Postings {
            Postings(keys: keys) { emit in for c in 0..<n { emit(Int(column[c]), Int32(c)) } }
        }
        func multi(_ keys: Int, _ column: CustomerTable.ListColumn) -> Postings {
            Postings(keys: keys) { emit in for c in 0..<n { for v in column.items(c) { emit(Int(v), Int32(c)) } } }
        }
        byAccountExecutive = single(users, t.accountExecutive)
        byServiceRep = single(users, t.serviceRep)
        bySharedUser = multi(users, t.sharedUsers)
        bySharedDepartment = multi(departments, t.sharedDepartments)
        bySharedRole = multi(org.roleIds.count, t.sharedRoles)
        byFollower = multi(users, t.followers)
        byTeam = single(org.teamIds.count, t.team)
        byPool = single(org.poolIds.count, t.pool)
        byAccountExecutiveDepartment = Postings(keys: departments) { emit in
            for c in 0..<n {
                let ae = t.accountExecutive[c]
                if ae >= 0 { emit(Int(org.userDepartment[Int(ae)]), Int32(c)) }
            }
        }
    }
}

/// Where the customers a rule can allow are found, compiled from its `when`.
indirect enum CandidatePlan: Sendable {
    /// Any customer (decide on each).
    case all
    /// Every customer matches (the condition was about the user alone).
    case every
    case none
    /// A condition on the user alone, decided once; then the rest of the plan.
    case gate(Condition, CandidatePlan)
    case accountExecutive, serviceRep, shared, follower, inPool, groups, userTeams
    case manages(depth: Int?)
    case union([CandidatePlan])
    /// Either side holds every match; the smaller is used.
    case either(CandidatePlan, CandidatePlan)
}
