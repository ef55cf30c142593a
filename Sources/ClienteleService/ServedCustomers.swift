import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleStore

/// The customers a snapshot decides on, in two parts, so that a commit costs what
/// it wrote and not what the store holds: a base (the access columns of every
/// customer when it was made, with their index, number order and id lookup) and the
/// customers written since, in a small table of their own. A base row whose customer
/// was written since is dead: the small table holds what it is now (or nothing, once
/// deleted). When the small table grows past a share of the base, the two are merged
/// into a new base.
package final class ServedCustomers: @unchecked Sendable {
    let base: CustomerTable
    let baseIndex: CustomerIndex
    let baseOrder: [UInt64]
    /// The base's rows in number order; nil when they already are (a store filled in number order).
    let baseByNumber: [Int32]?
    /// Where the log ended when the base was made.
    let basePosition: StorePosition
    let dead: BitSet
    let deadCount: Int
    let recent: CustomerTable
    let recentIndex: CustomerIndex
    let recentOrder: [UInt64]

    /// A base of `table`, made at `position`, with nothing written since.
    init(base table: CustomerTable, at position: StorePosition) {
        base = table
        baseIndex = CustomerIndex(table)
        let order = table.ids.map(IdOrder.key)
        baseOrder = order
        baseByNumber = Self.numberOrder(order, ids: table.ids)
        basePosition = position
        // The id lookup is made now, on the store's queue, not by the first request that needs it.
        _ = table.index(of: "")
        dead = BitSet(capacity: table.count)
        deadCount = 0
        recent = table.keepingRows { _ in false }
        recentIndex = CustomerIndex(recent)
        recentOrder = []
    }

    private init(
        base: ServedCustomers, dead: BitSet, deadCount: Int, recent: CustomerTable
    ) {
        self.base = base.base
        baseIndex = base.baseIndex
        baseOrder = base.baseOrder
        baseByNumber = base.baseByNumber
        basePosition = base.basePosition
        self.dead = dead
        self.deadCount = deadCount
        self.recent = recent
        recentIndex = CustomerIndex(recent)
        recentOrder = recent.ids.map(IdOrder.key)
        _ = recent.index(of: "")
    }

    /// How many customers there are.
    var count: Int { base.count - deadCount + recent.count }

    /// Whether the customers written since the base are enough to make a new one.
    var needsMerge: Bool { recent.count > max(4_096, base.count / 32) }

    /// The table and row that decide on customer `id`, when it exists.
    func locate(_ id: String) -> (table: CustomerTable, row: Int)? {
        if let r = recent.index(of: id) { return (recent, r) }
        guard let r = base.index(of: id), !dead.contains(r) else { return nil }
        return (base, r)
    }

    /// Whether the customer with key `ka` and id `a` comes before the one with `kb` and `b`
    /// in number order; ids are compared as text only when their keys cannot tell.
    static func before(_ ka: UInt64, _ a: @autoclosure () -> String, _ kb: UInt64, _ b: @autoclosure () -> String)
        -> Bool
    {
        if ka != kb, ka != IdOrder.unordered, kb != IdOrder.unordered { return ka < kb }
        return CustomerListing.numberOrder(a(), b())
    }

    /// Rows in number order, or nil when `order` (with `ids`) already is.
    static func numberOrder(_ order: [UInt64], ids: [String]) -> [Int32]? {
        var sorted = true
        for r in order.indices.dropFirst() where !before(order[r - 1], ids[r - 1], order[r], ids[r]) {
            sorted = false
            break
        }
        guard !sorted else { return nil }
        return (0..<Int32(order.count)).sorted { a, b in
            before(order[Int(a)], ids[Int(a)], order[Int(b)], ids[Int(b)])
        }
    }

    /// The customers `user` may take `action` on: how many, and the first `limit` in number
    /// order after the id `after`, with the id to continue after (nil on the last page).
    /// The base's visible rows are a set; the page walks the base in number order from the
    /// cursor and stops once it is full, so a page of a long list costs a page, not the list.
    func page(_ policy: AccessPolicy, user: Int, action: Action, now: Double, after: String?, limit: Int) -> (
        ids: [String], next: String?, count: Int
    ) {
        var rows = policy.visibleSet(user: user, action: action, in: base, index: baseIndex, now: now)
        // A customer the user may not view is listed for no action: it is as if it did not exist.
        if action != .view {
            rows = rows.intersection(policy.visibleSet(user: user, action: .view, in: base, index: baseIndex, now: now))
        }
        if deadCount > 0 { rows = rows.subtracting(dead) }
        let cursorKey = after.map(IdOrder.key)
        func isAfterCursor(_ key: UInt64, _ id: @autoclosure () -> String) -> Bool {
            guard let after, let cursorKey else { return true }
            return Self.before(cursorKey, after, key, id())
        }
        // The rows written since: few, sorted here.
        var recentRows =
            recent.count == 0
            ? []
            : policy.visible(user: user, action: action, in: recent, index: recentIndex, now: now).filter {
                action == .view || policy.isAllowed(user: user, action: .view, customer: $0, in: recent, now: now)
            }
        let count = rows.count + recentRows.count
        recentRows = recentRows.filter { isAfterCursor(recentOrder[$0], recent.ids[$0]) }.sorted {
            Self.before(recentOrder[$0], recent.ids[$0], recentOrder[$1], recent.ids[$1])
        }
        // The base from the cursor on: the first position after it, by binary search.
        let n = base.count
        func row(_ p: Int) -> Int { baseByNumber.map { Int($0[p]) } ?? p }
        var low = 0
        var high = n
        if after != nil {
            while low < high {
                let mid = (low + high) / 2
                let r = row(mid)
                if isAfterCursor(baseOrder[r], base.ids[r]) { high = mid } else { low = mid + 1 }
            }
        }
        var page: [String] = []
        page.reserveCapacity(min(limit + 1, count))
        var p = low
        var q = 0
        while page.count <= limit {
            // The next visible base row, if any.
            while p < n, !rows.contains(row(p)) { p += 1 }
            let baseNext = p < n ? row(p) : nil
            let recentNext = q < recentRows.count ? recentRows[q] : nil
            switch (baseNext, recentNext) {
            case (nil, nil):
                return (page, nil, count)
            case (let b?, nil):
                page.append(base.ids[b])
                p += 1
            case (nil, let r?):
                page.append(recent.ids[r])
                q += 1
            case (let b?, let r?):
                if Self.before(baseOrder[b], base.ids[b], recentOrder[r], recent.ids[r]) {
                    page.append(base.ids[b])
                    p += 1
                } else {
                    page.append(recent.ids[r])
                    q += 1
                }
            }
        }
        page.removeLast()
        return (page, page.last, count)
    }

    /// One base of every customer (made at `position`, the position these customers
    /// were made at): the live base rows, then the rows written since. It costs what
    /// the store holds, so it is made away from the store's queue (`ServiceState`).
    func merged(at position: StorePosition) -> ServedCustomers {
        let table = deadCount == 0 ? base.keepingRows { _ in true } : base.keepingRows { !dead.contains($0) }
        table.appendRows(of: recent)
        return ServedCustomers(base: table, at: position)
    }

    /// These customers after what was written since `position` (`ids`, and the
    /// documents of those that still exist, from `documents`).
    func advanced(
        written ids: [String], documents: ((UnsafeBufferPointer<UInt8>) -> Void) throws(StoreError) -> Void
    ) throws(StoreError) -> ServedCustomers {
        guard !ids.isEmpty else { return self }
        let touched = Set(ids)
        var dead = self.dead
        var deadCount = self.deadCount
        for id in touched {
            if let r = base.index(of: id), !dead.contains(r) {
                dead.insert(r)
                deadCount += 1
            }
        }
        let next = recent.keepingRows { !touched.contains(recent.ids[$0]) }
        try documents { _ = next.addDocument($0) }
        return ServedCustomers(base: self, dead: dead, deadCount: deadCount, recent: next)
    }
}
