import ClienteleCore
import ClienteleModel

extension AccessPolicy {
    /// For one user and action, the rows `new` allows and `old` does not (gained) and
    /// the reverse (lost), deciding only the rows of `before` and `after` (sorted
    /// lists, such as the reach of changed rules under each policy) over one table
    /// and its index. Each policy lists what it allows among those rows the way
    /// `visible` does, from the index lists first, so that a row is decided in full
    /// only where no exact list settles it.
    package static func changes(
        old: AccessPolicy, new: AccessPolicy, user u: Int, action: Action, before: [Int], after: [Int],
        in table: CustomerTable, index: CustomerIndex, now: Double
    ) -> (gained: [Int], lost: [Int]) {
        let rows = SortedRows.union(before, after)
        let allowedBefore = old.visible(user: u, action: action, within: rows, in: table, index: index, now: now)
        let allowedAfter = new.visible(user: u, action: action, within: rows, in: table, index: index, now: now)
        let (gained, lost) = SortedRows.difference(allowedAfter, allowedBefore)
        return (gained, lost)
    }
}

/// Set operations on sorted lists of rows without repeats.
package enum SortedRows {
    /// Rows in either list.
    package static func union(_ a: [Int], _ b: [Int]) -> [Int] {
        var rows: [Int] = []
        rows.reserveCapacity(max(a.count, b.count))
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                rows.append(a[i])
                i += 1
            } else if i == a.count || b[j] < a[i] {
                rows.append(b[j])
                j += 1
            } else {
                rows.append(a[i])
                i += 1
                j += 1
            }
        }
        return rows
    }

    /// Rows only in `a`, and rows only in `b`.
    package static func difference(_ a: [Int], _ b: [Int]) -> (onlyA: [Int], onlyB: [Int]) {
        var onlyA: [Int] = []
        var onlyB: [Int] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                onlyA.append(a[i])
                i += 1
            } else if i == a.count || b[j] < a[i] {
                onlyB.append(b[j])
                j += 1
            } else {
                i += 1
                j += 1
            }
        }
        return (onlyA, onlyB)
    }
}
