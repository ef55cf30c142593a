#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The lines of a byte buffer, found with `memchr`: the one line splitter of the
/// code base (the log, JSON Lines imports, the access columns, rejects).
///
/// A line ends before its `\n`; the last line is a line even without one
/// (`hasNewline` tells). Nothing is copied: each line is a view of the buffer.
public struct Lines: Sequence, IteratorProtocol {
    /// One line: its bytes, where it starts and ends in the buffer, and its number.
    public struct Line {
        /// The line's bytes, without the newline.
        public let bytes: UnsafeBufferPointer<UInt8>
        /// The offset of its first byte in the buffer.
        public let start: Int
        /// The offset of its newline (or of the end of the range when it has none).
        public let end: Int
        /// 1-based, counted from where the walk started.
        public let number: Int
        /// Whether a newline ends it (a log's torn last line has none).
        public let hasNewline: Bool

        @usableFromInline
        init(bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, number: Int, hasNewline: Bool) {
            self.bytes = bytes
            self.start = start
            self.end = end
            self.number = number
            self.hasNewline = hasNewline
        }
    }

    @usableFromInline let buffer: UnsafeBufferPointer<UInt8>
    @usableFromInline let stop: Int
    @usableFromInline var position: Int
    @usableFromInline var count = 0

    /// The lines of `buffer` from offset `start` up to `stop` (default: its end).
    @inlinable
    public init(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int = 0, to stop: Int? = nil) {
        self.buffer = buffer
        self.stop = Swift.min(stop ?? buffer.count, buffer.count)
        position = start
    }

    /// The next line, or nil past the end.
    @inlinable
    public mutating func next() -> Line? {
        guard position < stop, let base = buffer.baseAddress else { return nil }
        let start = position
        var end = stop
        var newline = false
        if let found = memchr(base + start, 0x0A, stop - start) {
            end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            newline = true
        }
        position = end + 1
        count += 1
        return Line(
            bytes: UnsafeBufferPointer(rebasing: buffer[start..<end]), start: start, end: end, number: count,
            hasNewline: newline)
    }

    /// Reads on from `offset` (a reader that goes back to read lines again); the
    /// numbering goes on from where it was.
    public mutating func seek(to offset: Int) {
        position = offset
    }
}
