/// Length-prefixed values appended to a byte buffer, in the machine's byte order
/// (which `layoutKey` names).
public struct SnapshotWriter {
    /// What was written so far.
    public var bytes: [UInt8] = []

    /// An empty buffer.
    public init() {}

    /// Appends one byte.
    public mutating func byte(_ b: UInt8) { bytes.append(b) }
    /// Appends an integer (eight bytes).
    public mutating func int(_ n: Int) { raw([Int64(n)]) }
    /// Appends the values' bytes as they are in memory.
    public mutating func raw<T: BitwiseCopyable>(_ values: [T]) {
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
    /// Appends a string: its UTF-8 length, then its bytes.
    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            int(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }
    /// Appends each string of `list`.
    public mutating func strings(_ list: [String]) { for s in list { string(s) } }
}

/// Reads what `SnapshotWriter` wrote; every read is bounds-checked and nil past the end.
public struct SnapshotReader {
    /// The bytes being read.
    public let bytes: UnsafeRawBufferPointer
    /// Where the next read starts.
    public var offset = 0

    /// A reader at the start of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// The next byte.
    public mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next integer.
    public mutating func int() -> Int? {
        guard bytes.count - offset >= 8 else { return nil }
        defer { offset += 8 }
        return Int(exactly: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }

    /// The next `count` values of `T`, as they were in memory.
    public mutating func raw<T: BitwiseCopyable>(_ count: Int) -> [T]? {
        let size = MemoryLayout<T>.stride
        guard count >= 0, count <= (bytes.count - offset) / size else { return nil }
        let start = offset
        offset += count * size
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count * size)]))
            initialized = count
        }
    }

    /// The next string.
    public mutating func string() -> String? {
        guard let n = int(), n >= 0, n <= bytes.count - offset else { return nil }
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]), as: UTF8.self)
    }

    /// The next `count` strings.
    public mutating func strings(_ count: Int) -> [String]? {
        guard count <= bytes.count - offset else { return nil }  // every string takes at least its length
        var list: [String] = []
        list.reserveCapacity(count)
        for _ in 0..<count {
            guard let s = string() else { return nil }
            list.append(s)
        }
        return list
    }
}
