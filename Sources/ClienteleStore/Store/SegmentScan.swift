import ClienteleCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One pass over a log segment's bytes that tells committed batches from damage and
/// from what a crash leaves: the one reading of the log's shape, shared by opening
/// (which refuses damage), `store verify` (which lists it) and `store repair` (which
/// cuts it out).
///
/// A batch counts when its commit line is there, names as many lines as precede it
/// since the previous commit, all of that batch, and carries their checksum. Any other
/// shape before a commit line is damage. After the last commit, what a crash can leave
/// (a prefix of one batch) is the tail; a line there that is, or was, a commit line
/// (one changed byte always leaves `"commit":` or `"crc32c":` to recognise it by) is
/// damage too.
struct SegmentScan {
    /// A line of a batch: its head, where it starts and its length without the newline.
    struct Line {
        var header: LineHeader
        var offset: Int
        var length: Int
    }

    /// Bytes that are not what the log writes: `[start, end)`, from `line` to `lastLine`.
    struct Damage {
        var start: Int
        var end: Int
        var line: Int
        var lastLine: Int
        var why: String
    }

    /// What follows the last commit.
    struct Tail {
        /// Just after the last committed batch.
        var committedEnd: Int
        var lines: Int
        /// The last batch committed in this segment (or before it).
        var lastBatch: Int
        /// Whether a batch so far carried a checksum.
        var checksummed: Bool
        /// The tail is a whole batch whose commit line verifies but lost its newline.
        var missingNewline: (batch: Int, lines: [Line])?
    }

    /// Calls `commit` for each committed batch (its number, lines, and where it ends) and
    /// `damage` for each damaged stretch, in file order; a `damage` that throws stops the scan.
    /// `after` is the last batch of the segments before this one: batch numbers only grow.
    /// With `checksums: false` the checksums are left to `firstChecksumMismatch`, which
    /// opening runs on another core at the same time.
    /// `checksummed`: a batch before this segment carried a checksum, so every later one must.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, after: Int = 0, checksummed: Bool = false, checksums: Bool = true,
        commit: (Int, [Line], Int) -> Void, damage: (Damage) throws(StoreError) -> Void
    ) throws(StoreError) -> Tail {
        var lastBatch = after
        var sawChecksum = checksummed
        var pending: [Line] = []
        var batchStart = 0
        var batchLine = 1
        var damaged: (line: Int, why: String)?
        var lineNumber = 0
        /// Where to read on when a damaged batch ends before the line just read.
        var resume: Int?
        func reset(at offset: Int) {
            pending.removeAll(keepingCapacity: true)
            damaged = nil
            batchStart = offset
            batchLine = lineNumber + 1
        }
        func checksum(upTo end: Int) -> UInt32 {
            Checksum.crc32c(UnsafeBufferPointer(rebasing: bytes[batchStart..<end]))
        }
        var lines = Lines(bytes)
        while let next = lines.next() {
            lineNumber += 1
            let start = next.start
            guard next.hasNewline else {
                // No newline: a torn last line, unless it is a whole commit line that lost only its newline.
                let rest = next.bytes
                let sum = checksum(upTo: start)
                if let header = LineHeader(rest), let count = header.commit, damaged == nil, count == pending.count,
                    header.batch > lastBatch,
                    pending.first.map({ $0.header.batch == header.batch }) ?? true, header.checksum == sum
                {
                    return Tail(
                        committedEnd: batchStart, lines: lineNumber - 1, lastBatch: lastBatch, checksummed: sawChecksum,
                        missingNewline: (header.batch, pending))
                }
                // A crash leaves a prefix of what was being written: the commit line this batch would get, or a line of
                // it.
                let batch = pending.first?.header.batch ?? lastBatch + 1
                let expected = DocumentLog.commitLine(batch: batch, count: pending.count, checksum: sum)
                let tornCommit = rest.count < expected.count && expected.starts(with: rest)
                // Any other torn line is the start of a line of that batch: `{"batch":N,` or less of it.
                let head = Array("{\"batch\":\(batch),".utf8)
                let tornLine = rest.starts(with: head) || head.starts(with: rest)
                if !tornCommit, startsCommit(rest) || embedsCommit(rest) || !tornLine {
                    try damage(
                        Damage(
                            start: batchStart, end: bytes.count, line: lineNumber, lastLine: lineNumber,
                            why: "a commit line is cut short or changed"))
                    return Tail(
                        committedEnd: bytes.count, lines: lineNumber, lastBatch: lastBatch, checksummed: sawChecksum,
                        missingNewline: nil)
                }
                break
            }
            let newline = next.end
            let line = next.bytes
            defer {
                if let resume { lines.seek(to: resume) }
                resume = nil
            }
            guard let header = LineHeader(line) else {
                if mentionsCommit(line) {
                    // A damaged commit line ends its batch: the stretch up to it is cut as one.
                    try damage(
                        Damage(
                            start: batchStart, end: newline + 1, line: damaged?.line ?? lineNumber,
                            lastLine: lineNumber,
                            why: damaged?.why ?? "a commit line does not parse"))
                    reset(at: newline + 1)
                } else if damaged == nil {
                    damaged = (lineNumber, "a line does not parse")
                }
                continue
            }
            guard let count = header.commit else {
                if damaged == nil, let first = pending.first, header.batch != first.header.batch {
                    damaged = (lineNumber, "a line of batch \(header.batch) stands in batch \(first.header.batch)")
                }
                pending.append(Line(header: header, offset: start, length: newline - start))
                continue
            }
            var why = damaged
            if why == nil, header.batch <= lastBatch {
                why = (lineNumber, "batch \(header.batch) comes again after batch \(lastBatch)")
            }
            // A checksum cannot be taken off a batch to hide a change: once batches carry one, all do.
            if why == nil, sawChecksum, header.checksum == nil {
                why = (lineNumber, "batch \(header.batch) has no checksum, but batches before it do")
            }
            // The pending lines all share the first one's batch (or `damaged` says otherwise).
            if why == nil, count != pending.count || (pending.first.map { $0.header.batch != header.batch } ?? false) {
                why = (
                    lineNumber,
                    "batch \(header.batch) commits \(count) lines, but \(pending.count) of it precede the commit"
                )
            }
            if why == nil, checksums, let sum = header.checksum, sum != checksum(upTo: start) {
                why = (
                    batchLine, "batch \(header.batch) (lines \(batchLine)-\(lineNumber)) does not match its checksum"
                )
            }
            if let why,
                let glued = pending.firstIndex(where: {
                    embedsCommit(UnsafeBufferPointer(rebasing: bytes[$0.offset..<($0.offset + $0.length)]))
                })
            {
                // A commit line glued to a line of its batch ends that batch there: the lines after it
                // are the next batch, read again, and cut only if they are damaged too.
                let end = pending[glued].offset + pending[glued].length + 1
                try damage(
                    Damage(
                        start: batchStart, end: end, line: min(why.line, batchLine + glued),
                        lastLine: batchLine + glued,
                        why: "a commit line is joined to the line before it"))
                lineNumber = batchLine + glued
                resume = end
                reset(at: end)
                continue
            } else if let why {
                try damage(
                    Damage(start: batchStart, end: newline + 1, line: why.line, lastLine: lineNumber, why: why.why))
            } else {
                commit(header.batch, pending, newline + 1)
                lastBatch = header.batch
                if header.checksum != nil { sawChecksum = true }
            }
            reset(at: newline + 1)
        }
        // After the last commit, whole lines are lines of one batch that no crash can make
        // into anything else: a line that does not parse was written by something else, and
        // a commit line glued to the end of a line lost the newline before it. (Within
        // committed batches the count and the checksum find both.)
        if damaged == nil, let first = pending.first, first.header.batch != lastBatch + 1 {
            damaged = (batchLine, "a line of batch \(first.header.batch), where only batch \(lastBatch + 1) can follow")
        }
        if damaged == nil,
            let glued = pending.first(where: {
                embedsCommit(UnsafeBufferPointer(rebasing: bytes[$0.offset..<($0.offset + $0.length)]))
            })
        {
            damaged = (
                batchLine + (pending.firstIndex { $0.offset == glued.offset } ?? 0),
                "a commit line is joined to the line before it"
            )
        }
        if let damaged {
            try damage(
                Damage(
                    start: batchStart, end: bytes.count, line: damaged.line, lastLine: lineNumber,
                    why: damaged.why + ", after the last commit (clientele never writes such a line)"))
            return Tail(
                committedEnd: bytes.count, lines: lineNumber, lastBatch: lastBatch, checksummed: sawChecksum,
                missingNewline: nil)
        }
        return Tail(
            committedEnd: batchStart, lines: batchLine - 1, lastBatch: lastBatch, checksummed: sawChecksum,
            missingNewline: nil)
    }

    /// The first committed batch whose checksum does not match (its first line and the
    /// message), reading only commit lines: the checksum pass that opening runs beside `scan`.
    /// A batch whose bytes do not match its checksum: its first and last line (counted
    /// in the bytes scanned, which may start past the beginning of the file).
    struct ChecksumMismatch {
        var line: Int
        var lastLine: Int
        var batch: Int

        /// The message, with `skipped` lines before the bytes scanned.
        func why(skipped: Int) -> String {
            "batch \(batch) (lines \(line + skipped)-\(lastLine + skipped)) does not match its checksum"
        }
    }

    static func firstChecksumMismatch(_ bytes: UnsafeBufferPointer<UInt8>) -> ChecksumMismatch? {
        var batchStart = 0
        var batchLine = 1
        for next in Lines(bytes) {
            // A last line without its newline is not a commit.
            guard next.hasNewline else { break }
            let (start, newline, line, lineNumber) = (next.start, next.end, next.bytes, next.number)
            if startsCommit(line), let header = LineHeader(line), header.commit != nil {
                if let sum = header.checksum,
                    sum != Checksum.crc32c(UnsafeBufferPointer(rebasing: bytes[batchStart..<start]))
                {
                    return ChecksumMismatch(line: batchLine, lastLine: lineNumber, batch: header.batch)
                }
                batchStart = newline + 1
                batchLine = lineNumber + 1
            }
        }
        return nil
    }

    /// Whether a line begins like a commit line: `{"batch":N,"commit":`.
    static func startsCommit(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard LineHeader.starts(line, at: 0, with: LineHeader.batchPrefix) else { return false }
        var k = LineHeader.batchPrefix.count
        while k < line.count, ValueFormats.isDigit(line[k]) { k += 1 }
        return LineHeader.starts(line, at: k, with: LineHeader.commitPrefix)
    }

    /// Whether a whole commit line stands inside `line` after its start (documents never
    /// hold the bytes `{"batch":` outside a string, where the quotes are escaped).
    static func embedsCommit(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var k = 1
        while k + LineHeader.batchPrefix.count <= line.count {
            if line[k] == UInt8(ascii: "{"), LineHeader.starts(line, at: k, with: LineHeader.batchPrefix),
                startsCommit(UnsafeBufferPointer(rebasing: line[k...]))
            {
                return true
            }
            k += 1
        }
        return false
    }

    /// Whether a line holds a commit line's keys: one changed byte leaves at least one of them.
    static func mentionsCommit(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        ByteSearch.contains(line, commitKey) || ByteSearch.contains(line, checksumKey)
    }

    static let commitKey = Array("\"commit\":".utf8)
    static let checksumKey = Array("\"crc32c\":".utf8)
}
