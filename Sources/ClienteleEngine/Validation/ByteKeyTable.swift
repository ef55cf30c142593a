import ClienteleCore
import ClienteleModel
import ClienteleSpec

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An immutable open-addressing hash table from UTF-8 keys to small integers,
/// looked up straight from byte slices so that validation never builds a String.
///
/// A final class, not a struct: a struct of five arrays would retain and release
/// each of them on every lookup. Lookups are inlinable: the planner and the
/// validators call them from other modules for every key of every record.
package final class ByteKeyTable: Sendable {
    @usableFromInline let slots: [Int32]  // index into entries, or -1
    @usableFromInline let hashes: [UInt64]
    @usableFromInline let keyBytes: [UInt8]
    @usableFromInline let keyRanges: [(Int32, Int32)]
    @usableFromInline let values: [Int32]
    @usableFromInline let mask: Int
    /// Bit k set when a key of k bytes is held (bit 63: one of 63 bytes or more),
    /// so that most keys a table lacks are refused without hashing.
    @usableFromInline let lengths: UInt64

    package init(_ pairs: [(String, Int)]) {
        var capacity = 8
        while capacity < pairs.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        var slots = [Int32](repeating: -1, count: capacity)
        var hashes: [UInt64] = []
        var keyBytes: [UInt8] = []
        var keyRanges: [(Int32, Int32)] = []
        var values: [Int32] = []
        var lengths: UInt64 = 0
        for (key, value) in pairs {
            let utf8 = Array(key.utf8)
            lengths |= 1 << UInt64(min(utf8.count, 63))
            let h = utf8.withUnsafeBufferPointer { Self.hash($0) }
            var s = Int(truncatingIfNeeded: h) & mask
            var duplicate = false
            while slots[s] >= 0 {
                let e = Int(slots[s])
                let (a, b) = keyRanges[e]
                if hashes[e] == h && Array(keyBytes[Int(a)..<Int(b)]) == utf8 {
                    duplicate = true
                    break
                }
                s = (s + 1) & mask
            }
            if duplicate { continue }
            slots[s] = Int32(values.count)
            hashes.append(h)
            keyRanges.append((Int32(keyBytes.count), Int32(keyBytes.count + utf8.count)))
            keyBytes.append(contentsOf: utf8)
            values.append(Int32(value))
        }
        self.mask = mask
        self.lengths = lengths
        self.slots = slots
        self.hashes = hashes
        self.keyBytes = keyBytes
        self.keyRanges = keyRanges
        self.values = values
    }

    package var count: Int { values.count }

    /// Eight bytes at a time (keys are short; a byte at a time was most of a lookup).
    @inlinable @inline(__always) static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(b.count)
        guard let base = b.baseAddress else { return h ^ (h >> 29) }
        @inline(__always) func mix(_ word: UInt64) {
            h = (h ^ word) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 32
        }
        var k = 0
        while k + 8 <= b.count {
            mix(UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self))
            k += 8
        }
        if k < b.count {
            var tail: UInt64 = 0
            for j in k..<b.count { tail |= UInt64(base[j]) << UInt64((j - k) * 8) }
            mix(tail)
        }
        return h ^ (h >> 29)
    }

    @inlinable @inline(__always) package func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        guard lengths & (1 << UInt64(min(key.count, 63))) != 0 else { return nil }
        let h = Self.hash(key)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { return nil }
            if hashes[e] == h {
                let (a, b) = keyRanges[e]
                if Int(b - a) == key.count {
                    let equal = keyBytes.withUnsafeBufferPointer { kb in
                        Self.equal(kb.baseAddress! + Int(a), key.baseAddress, key.count)
                    }
                    if equal { return Int(values[e]) }
                }
            }
            s = (s + 1) & mask
        }
    }

    /// Byte equality, eight bytes at a time (keys are short: no call to memcmp).
    @inlinable @inline(__always) static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>?, _ n: Int)
        -> Bool
    {
        guard let b else { return n == 0 }
        var k = 0
        while k + 8 <= n {
            if UnsafeRawPointer(a + k).loadUnaligned(as: UInt64.self)
                != UnsafeRawPointer(b + k).loadUnaligned(as: UInt64.self)
            {
                return false
            }
            k += 8
        }
        while k < n {
            if a[k] != b[k] { return false }
            k += 1
        }
        return true
    }

    package func lookup(_ key: String) -> Int? {
        var k = key
        return k.withUTF8 { lookup($0) }
    }

    /// The value of the string token `i`, looked up from its bytes.
    @inlinable @inline(__always) package func lookup(_ view: JSONView, _ i: Int) -> Int? {
        view.withString(i) { lookup($0) }
    }
}
