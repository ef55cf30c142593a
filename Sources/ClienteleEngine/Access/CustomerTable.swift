import ClienteleCore
import ClienteleModel
import ClienteleSpec
import Foundation

/// Customers held in memory for access checks, one column per attribute, ids
/// interned to indexes. The store fills it; tests and `clientele test` build it
/// from records. Only the fields that the access rules read are kept.
package final class CustomerTable: @unchecked Sendable {
    package internal(set) var ids: [String] = []
    /// id -> row, kept up to date by `append`; nil after rows were restored or
    /// removed in bulk, and then built again on first use.
    private var idIndexStorage: [String: Int32]? = [:]
    private let idIndexLock = NSLock()
    package internal(set) var team: [Int32] = []
    package internal(set) var table: [UInt8] = []
    package internal(set) var package: [Int32] = []
    package internal(set) var accountExecutive: [Int32] = []
    package internal(set) var serviceRep: [Int32] = []
    package internal(set) var pool: [Int32] = []
    package internal(set) var previousAccountExecutive: [Int32] = []
    package internal(set) var sharedUsers = ListColumn()
    package internal(set) var sharedDepartments = ListColumn()
    package internal(set) var sharedRoles = ListColumn()
    package internal(set) var followers = ListColumn()
    package internal(set) var tags = StringListColumn()
    /// Times in seconds since 1970 (nan when not set): claimed_at, returned_at, last_followup_at, created_at,
    /// modified_at, last_deal_at.
    package internal(set) var times: [[Double]] = Array(repeating: [], count: CustomerTable.timeKeys.count)
    /// Field values the rules read, by field slot.
    package internal(set) var fields: [[FieldValue]]
    package let fieldSlots: [String: Int]
    let fieldSlotTable: ByteKeyTable

    package static let timeKeys = StoredKey.times.map(\.name)

    /// A field value as the rules see it.
    package enum FieldValue: Sendable, Equatable {
        case null
        case string(String)
        case number(Double)
        case bool(Bool)
        case strings([String])
    }

    /// Lists of interned ids per customer, flattened (offsets into one array).
    package struct ListColumn: Sendable {
        var offsets: [Int32] = [0]
        var values: [Int32] = []

        @inline(__always) package func range(_ c: Int) -> Range<Int> { Int(offsets[c])..<Int(offsets[c + 1]) }
        @inline(__always) package func contains(_ c: Int, _ value: Int32) -> Bool {
            for k in range(c) where values[k] == value { return true }
            return false
        }
        package func items(_ c: Int) -> ArraySlice<Int32> { values[range(c)] }
        mutating func append(_ items: [Int32]) {
            values.append(contentsOf: items)
            offsets.append(Int32(values.count))
        }
    }

    package struct StringListColumn: Sendable {
        var offsets: [Int32] = [0]
        var values: [String] = []
        package func items(_ c: Int) -> ArraySlice<String> { values[Int(offsets[c])..<Int(offsets[c + 1])] }
        mutating func append(_ items: [String]) {
            values.append(contentsOf: items)
            offsets.append(Int32(values.count))
        }
    }

    package let org: OrgIndex

    package init(org: OrgIndex, fieldIdentities: [String]) {
        self.org = org
        fieldSlots = Dictionary(uniqueKeysWithValues: fieldIdentities.enumerated().map { ($1, $0) })
        fieldSlotTable = ByteKeyTable(fieldIdentities.enumerated().map { ($1, $0) })
        fields = Array(repeating: [], count: fieldIdentities.count)
    }

    package var count: Int { ids.count }

    package func index(of id: String) -> Int? {
        idIndexLock.lock()
        defer { idIndexLock.unlock() }
        if idIndexStorage == nil {
            var index: [String: Int32] = [:]
            index.reserveCapacity(ids.count)
            for (c, id) in ids.enumerated() { index[id] = Int32(c) }
            idIndexStorage = index
        }
        return idIndexStorage![id].map(Int.init)
    }

    /// Forgets the id index after the rows changed in bulk; `index(of:)` builds it again.
    func invalidateIdIndex() {
        idIndexLock.lock()
        idIndexStorage = nil
        idIndexLock.unlock()
    }

    /// A customer as plain values, before interning.
    package struct Record: Sendable {
        package var id: String
        package var team: String?
        package var table: TableKind = .individual
        package var package: String?
        package var accountExecutive: String?
        package var serviceRep: String?
        package var pool: String?
        package var previousAccountExecutive: String?
        package var sharedUsers: [String] = []
        package var sharedDepartments: [String] = []
        package var sharedRoles: [String] = []
        package var followers: [String] = []
        package var tags: [String] = []
        package var times: [String: Double] = [:]
        package var fields: [String: FieldValue] = [:]

        package init(id: String) { self.id = id }
    }

    /// Adds a customer; unknown ids of users, departments and roles are kept as "nobody".
    @discardableResult
    package func add(_ r: Record) -> Int {
        func idx(_ v: Int?) -> Int32 { v.map(Int32.init) ?? -1 }
        var values = [FieldValue](repeating: .null, count: fieldSlots.count)
        for (identity, slot) in fieldSlots { values[slot] = r.fields[identity] ?? .null }
        return append(
            id: r.id, team: idx(r.team.flatMap(org.team)), table: UInt8(r.table.ordinal),
            package: idx(r.package.flatMap(org.package)), accountExecutive: idx(r.accountExecutive.flatMap(org.user)),
            serviceRep: idx(r.serviceRep.flatMap(org.user)), pool: idx(r.pool.flatMap(org.pool)),
            previousAccountExecutive: idx(r.previousAccountExecutive.flatMap(org.user)),
            sharedUsers: r.sharedUsers.compactMap { org.user($0).map(Int32.init) },
            sharedDepartments: r.sharedDepartments.compactMap { org.department($0).map(Int32.init) },
            sharedRoles: r.sharedRoles.compactMap { org.role($0).map(Int32.init) },
            followers: r.followers.compactMap { org.user($0).map(Int32.init) }, tags: r.tags,
            times: Self.timeKeys.map { r.times[$0] ?? .nan }, fields: values)
    }

    /// Appends one customer's interned values to every column.
    @discardableResult
    func append(
        id: String, team t: Int32, table tb: UInt8, package p: Int32, accountExecutive ae: Int32, serviceRep csr: Int32,
        pool pl: Int32, previousAccountExecutive prev: Int32, sharedUsers su: [Int32], sharedDepartments sd: [Int32],
        sharedRoles sr: [Int32], followers f: [Int32], tags tg: [String], times tm: [Double], fields fv: [FieldValue]
    ) -> Int {
        let c = ids.count
        ids.append(id)
        idIndexStorage?[id] = Int32(c)
        team.append(t)
        table.append(tb)
        package.append(p)
        accountExecutive.append(ae)
        serviceRep.append(csr)
        pool.append(pl)
        previousAccountExecutive.append(prev)
        sharedUsers.append(su)
        sharedDepartments.append(sd)
        sharedRoles.append(sr)
        followers.append(f)
        tags.append(tg)
        for k in 0..<tm.count { times[k].append(tm[k]) }
        for k in 0..<fv.count { fields[k].append(fv[k]) }
        return c
    }

    package func tableKind(_ c: Int) -> TableKind { TableKind.allCases[Int(table[c])] }
}
