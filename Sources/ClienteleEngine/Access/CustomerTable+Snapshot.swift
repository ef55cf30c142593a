import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// The columns of a customer table as bytes, so that a store can keep them beside
/// its log and reopen without parsing every document. The bytes are only meaningful
/// to a table with the same layout (`layoutKey`): the same users, departments,
/// roles, teams, packages and pools in the same order (values are interned to
/// their indexes) and the same field slots.
extension CustomerTable {
    /// Everything the interned values and the field slots depend on, as text.
    package var layoutKey: String {
        let lists = [
            org.userIds, org.departmentIds, org.roleIds, org.teamIds, org.packageIds, org.poolIds,
            TableKind.allCases.map(\.rawValue), Self.timeKeys, fieldSlots.sorted { $0.value < $1.value }.map(\.key),
        ]
        let byteOrder = 1.littleEndian == 1 ? "little-endian" : "big-endian"
        return "customer-table 1 \(byteOrder)\n" + lists.map { $0.joined(separator: "\u{1F}") }.joined(separator: "\n")
    }

    /// The columns, in row order.
    package func snapshot() -> [UInt8] {
        var w = SnapshotWriter()
        w.int(count)
        w.strings(ids)
        for column in [team, package, accountExecutive, serviceRep, pool, previousAccountExecutive] { w.raw(column) }
        w.raw(table)
        for list in [sharedUsers, sharedDepartments, sharedRoles, followers] {
            w.raw(list.offsets)
            w.int(list.values.count)
            w.raw(list.values)
        }
        w.raw(tags.offsets)
        w.int(tags.values.count)
        w.strings(tags.values)
        for column in times { w.raw(column) }
        for column in fields {
            for value in column {
                switch value {
                case .null: w.byte(0)
                case .string(let s):
                    w.byte(1)
                    w.string(s)
                case .number(let n):
                    w.byte(2)
                    w.raw([n])
                case .bool(let b): w.byte(b ? 4 : 3)
                case .strings(let list):
                    w.byte(5)
                    w.int(list.count)
                    w.strings(list)
                }
            }
        }
        return w.bytes
    }

    /// A table restored from `snapshot()` bytes made with the same `layoutKey`;
    /// nil when they do not hold a whole, consistent table.
    package static func restore(_ bytes: UnsafeRawBufferPointer, org: OrgIndex, fieldIdentities: [String])
        -> CustomerTable?
    {
        let table = CustomerTable(org: org, fieldIdentities: fieldIdentities)
        var r = SnapshotReader(bytes)
        guard let n = r.int(), n >= 0, let ids = r.strings(n) else { return nil }
        var ints: [[Int32]] = []
        for _ in 0..<6 {
            guard let column: [Int32] = r.raw(n) else { return nil }
            ints.append(column)
        }
        guard let kinds: [UInt8] = r.raw(n), kinds.allSatisfy({ Int($0) < TableKind.allCases.count }) else {
            return nil
        }
        var lists: [ListColumn] = []
        for _ in 0..<4 {
            guard let offsets: [Int32] = r.raw(n + 1), let m = r.int(), m >= 0, let values: [Int32] = r.raw(m),
                Self.offsetsAreValid(offsets, total: m)
            else { return nil }
            lists.append(ListColumn(offsets: offsets, values: values))
        }
        guard let tagOffsets: [Int32] = r.raw(n + 1), let tagCount = r.int(), tagCount >= 0,
            let tagValues = r.strings(tagCount),
            Self.offsetsAreValid(tagOffsets, total: tagCount)
        else { return nil }
        var times: [[Double]] = []
        for _ in timeKeys {
            guard let column: [Double] = r.raw(n) else { return nil }
            times.append(column)
        }
        var fields: [[FieldValue]] = []
        for _ in fieldIdentities {
            var column: [FieldValue] = []
            column.reserveCapacity(n)
            for _ in 0..<n {
                guard let kind = r.byte() else { return nil }
                switch kind {
                case 0: column.append(.null)
                case 1:
                    guard let s = r.string() else { return nil }
                    column.append(.string(s))
                case 2:
                    guard let d: [Double] = r.raw(1) else { return nil }
                    column.append(.number(d[0]))
                case 3, 4: column.append(.bool(kind == 4))
                case 5:
                    guard let m = r.int(), m >= 0, let list = r.strings(m) else { return nil }
                    column.append(.strings(list))
                default: return nil
                }
            }
            fields.append(column)
        }
        guard r.isAtEnd else { return nil }
        // Interned values must point into the org's lists.
        let limits = [
            org.teamIds.count, org.packageIds.count, org.userIds.count, org.userIds.count, org.poolIds.count,
            org.userIds.count,
        ]
        for (column, limit) in zip(ints, limits) where !column.allSatisfy({ $0 >= -1 && $0 < limit }) { return nil }
        for (list, limit) in zip(
            lists, [org.userIds.count, org.departmentIds.count, org.roleIds.count, org.userIds.count])
        where !list.values.allSatisfy({ $0 >= 0 && $0 < limit }) { return nil }

        table.ids = ids
        table.invalidateIdIndex()
        (
            table.team, table.package, table.accountExecutive, table.serviceRep, table.pool,
            table.previousAccountExecutive
        ) =
            (ints[0], ints[1], ints[2], ints[3], ints[4], ints[5])
        table.table = kinds
        (table.sharedUsers, table.sharedDepartments, table.sharedRoles, table.followers) = (
            lists[0], lists[1], lists[2], lists[3]
        )
        table.tags = StringListColumn(offsets: tagOffsets, values: tagValues)
        table.times = times
        table.fields = fields
        return table
    }

    private static func offsetsAreValid(_ offsets: [Int32], total: Int) -> Bool {
        guard offsets.first == 0, offsets.last.map(Int.init) == total else { return false }
        return zip(offsets, offsets.dropFirst()).allSatisfy { $0 <= $1 }
    }

    /// Removes a few rows (ascending indexes), column by column; later rows move up.
    package func removeRows(_ rows: [Int]) {
        guard !rows.isEmpty else { return }
        func drop(_ list: inout ListColumn, _ c: Int) {
            let range = list.range(c)
            list.values.removeSubrange(range)
            list.offsets.remove(at: c + 1)
            for k in (c + 1)..<list.offsets.count { list.offsets[k] -= Int32(range.count) }
        }
        for c in rows.reversed() {
            ids.remove(at: c)
            team.remove(at: c)
            table.remove(at: c)
            package.remove(at: c)
            accountExecutive.remove(at: c)
            serviceRep.remove(at: c)
            pool.remove(at: c)
            previousAccountExecutive.remove(at: c)
            drop(&sharedUsers, c)
            drop(&sharedDepartments, c)
            drop(&sharedRoles, c)
            drop(&followers, c)
            let tagRange = Int(tags.offsets[c])..<Int(tags.offsets[c + 1])
            tags.values.removeSubrange(tagRange)
            tags.offsets.remove(at: c + 1)
            for k in (c + 1)..<tags.offsets.count { tags.offsets[k] -= Int32(tagRange.count) }
            for k in times.indices { times[k].remove(at: c) }
            for k in fields.indices { fields[k].remove(at: c) }
        }
        invalidateIdIndex()
    }

    /// A table of the rows that `keep` accepts, in the same order (column by column,
    /// so that dropping a few rows of a million stays cheap).
    package func keepingRows(where keep: (Int) -> Bool) -> CustomerTable {
        let rows = (0..<count).filter(keep)
        let kept = CustomerTable(org: org, fieldIdentities: fieldSlots.sorted { $0.value < $1.value }.map(\.key))
        func pick<T>(_ column: [T]) -> [T] { rows.map { column[$0] } }
        func pick(_ list: ListColumn) -> ListColumn {
            var result = ListColumn()
            result.offsets.reserveCapacity(rows.count + 1)
            for c in rows {
                result.values.append(contentsOf: list.values[list.range(c)])
                result.offsets.append(Int32(result.values.count))
            }
            return result
        }
        kept.ids = pick(ids)
        kept.invalidateIdIndex()
        (kept.team, kept.package, kept.accountExecutive, kept.serviceRep, kept.pool, kept.previousAccountExecutive) =
            (
                pick(team), pick(package), pick(accountExecutive), pick(serviceRep), pick(pool),
                pick(previousAccountExecutive)
            )
        kept.table = pick(table)
        (kept.sharedUsers, kept.sharedDepartments, kept.sharedRoles, kept.followers) = (
            pick(sharedUsers), pick(sharedDepartments), pick(sharedRoles), pick(followers)
        )
        var tagColumn = StringListColumn()
        for c in rows { tagColumn.append(Array(tags.items(c))) }
        kept.tags = tagColumn
        kept.times = times.map(pick)
        kept.fields = fields.map(pick)
        return kept
    }
}

extension CustomerTable {
    /// Appends every row of `other`, a table of the same organisation and field slots
    /// (its values are interned the same way, so they are copied as they are).
    package func appendRows(of other: CustomerTable) {
        precondition(other.org === org && other.fieldSlots == fieldSlots, "tables of different layouts")
        for c in 0..<other.count {
            append(
                id: other.ids[c], team: other.team[c], table: other.table[c], package: other.package[c],
                accountExecutive: other.accountExecutive[c], serviceRep: other.serviceRep[c], pool: other.pool[c],
                previousAccountExecutive: other.previousAccountExecutive[c],
                sharedUsers: Array(other.sharedUsers.items(c)),
                sharedDepartments: Array(other.sharedDepartments.items(c)),
                sharedRoles: Array(other.sharedRoles.items(c)), followers: Array(other.followers.items(c)),
                tags: Array(other.tags.items(c)), times: other.times.map { $0[c] }, fields: other.fields.map { $0[c] })
        }
    }
}
