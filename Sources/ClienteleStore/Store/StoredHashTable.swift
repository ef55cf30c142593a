import ClienteleCore

/// A hash table from byte keys to byte values, laid out in one buffer so that it is
/// read in place from a mapped file: nothing is loaded or rebuilt to look a key up.
/// A key may be stored more than once (each entry is found).
///
///     count, slot count (a power of two)       8 bytes each
///     slots: entry number + 1, or 0 (empty)    4 bytes each, linear probing
///     entries: key offset, key length,         4 bytes each
///              value offset, value length
///     keys and values, side by side
///
/// Integers are in the machine's byte order, like the other files of `index/`.
struct StoredHashTable {
    let bytes: UnsafeRawBufferPointer
    let count: Int
    private let slotCount: Int
    private let slots: Int
    private let entries: Int
    private let blob: Int

    /// Reads the layout; nil when the sizes do not add up (a damaged file).
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 16 else { return nil }
        let count = Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let slotCount = Int(bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard count >= 0, slotCount > count, slotCount & (slotCount - 1) == 0, slotCount <= 1 << 32,
            16 + slotCount * 4 + count * 16 <= bytes.count
        else { return nil }
        self.bytes = bytes
        self.count = count
        self.slotCount = slotCount
        slots = 16
        entries = 16 + slotCount * 4
        blob = entries + count * 16
    }

    static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    private func entry(_ k: Int) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        let at = entries + k * 16
        let keyOffset = blob + Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
        let keyLength = Int(bytes.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self))
        let valueOffset = blob + Int(bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self))
        let valueLength = Int(bytes.loadUnaligned(fromByteOffset: at + 12, as: UInt32.self))
        guard keyOffset + keyLength <= bytes.count, valueOffset + valueLength <= bytes.count else { return nil }
        return (
            UnsafeRawBufferPointer(rebasing: bytes[keyOffset..<(keyOffset + keyLength)]),
            UnsafeRawBufferPointer(rebasing: bytes[valueOffset..<(valueOffset + valueLength)])
        )
    }

    /// Calls `body` with the value of every entry stored under `key`.
    func forEachValue(of key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var slot = Self.hash(key) & (slotCount - 1)
        for _ in 0..<slotCount {
            let n = Int(bytes.loadUnaligned(fromByteOffset: slots + slot * 4, as: UInt32.self))
            guard n != 0 else { return }
            if n <= count, let (k, v) = entry(n - 1), k.elementsEqual(key) { body(v) }
            slot = (slot + 1) & (slotCount - 1)
        }
    }

    func firstValue(of key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var found: UnsafeRawBufferPointer?
        forEachValue(of: key) { if found == nil { found = $0 } }
        return found
    }

    func contains(_ key: UnsafeRawBufferPointer) -> Bool { firstValue(of: key) != nil }

    /// Every entry, in the order they were added.
    func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        for k in 0..<count {
            if let (key, value) = entry(k) { body(key, value) }
        }
    }
}

/// Builds the bytes of a `StoredHashTable`.
struct StoredHashTableBuilder {
    private var hashes: [Int] = []
    private var blob: [UInt8] = []
    private var records: [UInt32] = []

    init(capacity: Int = 0) {
        records.reserveCapacity(capacity * 4)
        hashes.reserveCapacity(capacity)
    }

    var count: Int { hashes.count }

    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        hashes.append(StoredHashTable.hash(key))
        records.append(UInt32(truncatingIfNeeded: blob.count))
        records.append(UInt32(key.count))
        blob.append(contentsOf: key)
        records.append(UInt32(truncatingIfNeeded: blob.count))
        records.append(UInt32(value.count))
        blob.append(contentsOf: value)
    }

    mutating func add(key: [UInt8], value: [UInt8]) {
        key.withUnsafeBytes { k in value.withUnsafeBytes { v in add(key: k, value: v) } }
    }

    /// The table's bytes; nil past 4 GiB of keys and values (offsets are 32 bits).
    func bytes() -> [UInt8]? {
        guard blob.count < Int(UInt32.max) else { return nil }
        var slotCount = 16
        while slotCount < hashes.count * 2 { slotCount <<= 1 }
        var slots = [UInt32](repeating: 0, count: slotCount)
        for (k, h) in hashes.enumerated() {
            var slot = h & (slotCount - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (slotCount - 1) }
            slots[slot] = UInt32(k + 1)
        }
        var out: [UInt8] = []
        out.reserveCapacity(16 + slotCount * 4 + records.count * 4 + blob.count)
        withUnsafeBytes(of: UInt64(hashes.count)) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(slotCount)) { out.append(contentsOf: $0) }
        slots.withUnsafeBytes { out.append(contentsOf: $0) }
        records.withUnsafeBytes { out.append(contentsOf: $0) }
        out.append(contentsOf: blob)
        return out
    }
}
