import ClienteleCore
import ClienteleSpec
import ClienteleModel
/// A fixed-size set of small integers (role, team or department indexes).
public struct BitSet: Sendable, Equatable {
    private var words: [UInt64]

    public init(capacity: Int) {
        words = [UInt64](repeating: 0, count: max(1, (capacity + 63) / 64))
    }

    public init(capacity: Int, _ members: some Sequence<Int>) {
        self.init(capacity: capacity)
        for m in members { insert(m) }
    }

    public mutating func insert(_ i: Int) {
        guard i >= 0 else { return }
        words[i >> 6] |= 1 << UInt64(i & 63)
    }

    @inline(__always) public func contains(_ i: Int) -> Bool {
        i >= 0 && i >> 6 < words.count && words[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    public func intersects(_ other: BitSet) -> Bool {
        for k in 0..<min(words.count, other.words.count) where words[k] & other.words[k] != 0 { return true }
        return false
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
}
