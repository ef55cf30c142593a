import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// A fixed-size set of small integers (role, team or department indexes, or customer rows).
package struct BitSet: Sendable, Equatable {
    private var words: [UInt64]

    package init(capacity: Int) {
        words = [UInt64](repeating: 0, count: max(1, (capacity + 63) / 64))
    }

    /// Every integer below `capacity`.
    package init(all capacity: Int) {
        self.init(capacity: capacity)
        for k in 0..<(capacity >> 6) { words[k] = ~0 }
        if capacity & 63 != 0 { words[capacity >> 6] = (1 << UInt64(capacity & 63)) - 1 }
    }

    package init(capacity: Int, _ members: some Sequence<Int>) {
        self.init(capacity: capacity)
        for m in members { insert(m) }
    }

    package mutating func insert(_ i: Int) {
        guard i >= 0 else { return }
        words[i >> 6] |= 1 << UInt64(i & 63)
    }

    @inline(__always) package func contains(_ i: Int) -> Bool {
        i >= 0 && i >> 6 < words.count && words[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    package func intersects(_ other: BitSet) -> Bool {
        for k in 0..<min(words.count, other.words.count) where words[k] & other.words[k] != 0 { return true }
        return false
    }

    package var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// How many members it has.
    package var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Members of this set that `other` lacks (sets of the same capacity).
    package func subtracting(_ other: BitSet) -> BitSet {
        var result = self
        for k in 0..<min(words.count, other.words.count) { result.words[k] &= ~other.words[k] }
        return result
    }

    /// Members of this set that `other` has too (sets of the same capacity).
    package func intersection(_ other: BitSet) -> BitSet {
        var result = self
        for k in 0..<result.words.count { result.words[k] &= k < other.words.count ? other.words[k] : 0 }
        return result
    }

    /// Inserts every member of `other` (a set of the same capacity).
    package mutating func formUnion(_ other: BitSet) {
        for k in 0..<min(words.count, other.words.count) { words[k] |= other.words[k] }
    }

    /// Inserts every one of `members`.
    package mutating func formUnion(_ members: [Int]) {
        words.withUnsafeMutableBufferPointer { w in
            for m in members where m >= 0 && m >> 6 < w.count { w[m >> 6] |= 1 << UInt64(m & 63) }
        }
    }

    /// Inserts every row of an index list (one check of the storage for the whole list).
    mutating func formUnion(_ rows: ArraySlice<Int32>) {
        words.withUnsafeMutableBufferPointer { w in
            for r in rows where r >= 0 && Int(r) >> 6 < w.count { w[Int(r) >> 6] |= 1 << UInt64(r & 63) }
        }
    }

    /// The members, ascending.
    package var members: [Int] {
        var result: [Int] = []
        result.reserveCapacity(count)
        for (w, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                result.append(w << 6 | bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return result
    }
}
