/// Length-prefixed values appended to a byte buffer, in the machine's byte order
/// (which `layoutKey` names).
package struct SnapshotWriter {
    package var bytes: [UInt8] = []

    package init() {}

    package mutating func byte(_ b: UInt8) { bytes.append(b) }
    package mutating func int(_ n: Int) { raw([Int64(n)]) }
    package mutating func raw<T: BitwiseCopyable>(_ values: [T]) {
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
    package mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            int(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }
    package mutating func strings(_ list: [String]) { for s in list { string(s) } }
}

/// Reads what `SnapshotWriter` wrote; every read is bounds-checked and nil past the end.
package struct SnapshotReader {
    package let bytes: UnsafeRawBufferPointer
    package var offset = 0

    package init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    package var isAtEnd: Bool { offset == bytes.count }

    package mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    package mutating func int() -> Int? {
        guard bytes.count - offset >= 8 else { return nil }
        defer { offset += 8 }
        return Int(exactly: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }

    package mutating func raw<T: BitwiseCopyable>(_ count: Int) -> [T]? {
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

    package mutating func string() -> String? {
        guard let n = int(), n >= 0, n <= bytes.count - offset else { return nil }
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]), as: UTF8.self)
    }

    package mutating func strings(_ count: Int) -> [String]? {
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
