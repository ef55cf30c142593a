import ClienteleCore
import Foundation

/// `clientele store verify`: every segment, every batch's checksum, every stored line,
/// and the access columns kept beside the log, read without changing anything; and
/// `clientele store repair`, the only thing that cuts committed data, which first
/// writes what it removes to `backups/`.
package struct StoreCheck: Sendable {
    /// Something wrong, where it is.
    package struct Problem: Sendable, CustomStringConvertible {
        package var file: String
        package var line: Int
        package var message: String
        package init(file: String, line: Int, message: String) {
            self.file = file
            self.line = line
            self.message = message
        }

        package var description: String { "\(file):\(line): \(message)" }
    }

    package var problems: [Problem] = []
    package var segments = 0
    package var batches = 0
    /// Batches written before checksums: their lines are checked, their bytes cannot be.
    package var unchecked = 0
    package var documents = 0
    /// Bytes after the last commit, which the next writer cuts off (what a crash left).
    package var uncommittedBytes = 0

    /// A stretch of a segment that repair cuts out.
    struct Cut {
        var segment: Int32
        var start: Int
        var end: Int
        var line: Int
        var lastLine: Int
        var why: String
    }

    var cuts: [Cut] = []
    var lastCommittedEnd = 0
    var lastCommittedLine = 0
    /// The access columns say the log once went further than it does.
    var indexAhead = false
    var missing: [Int32] = []
    var numbers: [Int32] = []

    /// Reads the log of the store at `path`: its segments, batches and lines.
    package static func verifyLog(storePath path: String) -> StoreCheck {
        var check = StoreCheck()
        let directory = path + "/data"
        let log = DocumentLogPaths(directory: directory)
        check.numbers = DocumentLog.segmentNumbers(in: directory)
        check.segments = check.numbers.count
        let last = check.numbers.last ?? 0
        if last > 0 {
            let present = Set(check.numbers)
            for n in 1...last where !present.contains(n) {
                check.missing.append(n)
                check.problems.append(
                    Problem(file: log.path(n), line: 1, message: "the segment is missing: its batches are lost"))
            }
        }
        var ids: [String: Bool] = [:]
        var lastBatch = 0
        var checksummed = false
        for number in check.numbers {
            let file = log.path(number)
            let mapped: MappedFile
            do { mapped = try MappedFile(path: file, followLinks: false) } catch {
                check.problems.append(Problem(file: file, line: 1, message: error.description))
                continue
            }
            let bytes = mapped.bytes
            var tape = JSONTape()
            do {
                let tail = try SegmentScan.scan(
                    bytes, after: lastBatch, checksummed: checksummed,
                    commit: { batch, lines, end in
                        check.batches += 1
                        if !Self.hasChecksum(bytes, endingAt: end) { check.unchecked += 1 }
                        for line in lines {
                            let text = UnsafeBufferPointer(rebasing: bytes[line.offset..<(line.offset + line.length)])
                            if (try? tape.parse(text)) == nil {
                                check.problems.append(
                                    Problem(
                                        file: file, line: Self.lineNumber(bytes, line.offset),
                                        message: "a line of batch \(batch) is not valid JSON"))
                            }
                            if !line.header.isLog { ids[line.header.id] = !line.header.isDelete }
                            if !line.header.isLog, !DocumentLog.isValidId(line.header.id) {
                                check.problems.append(
                                    Problem(
                                        file: file, line: Self.lineNumber(bytes, line.offset),
                                        message: "'\(line.header.id)' is not a valid record id"))
                            }
                        }
                    },
                    damage: { damage in
                        check.problems.append(Problem(file: file, line: damage.line, message: damage.why))
                        check.cuts.append(
                            Cut(
                                segment: number, start: damage.start, end: damage.end, line: damage.line,
                                lastLine: damage.lastLine, why: damage.why))
                    })
                lastBatch = tail.missingNewline?.batch ?? tail.lastBatch
                checksummed = tail.checksummed
                let rest = bytes.count - tail.committedEnd
                if number == last {
                    check.lastCommittedEnd = tail.missingNewline == nil ? tail.committedEnd : bytes.count
                    check.lastCommittedLine = tail.lines
                }
                if tail.missingNewline != nil {
                    // A verified batch whose commit line lost its newline: the next writer puts it back.
                } else if rest > 0, number != last {
                    let why = "the segment ends in an unfinished batch, but it is not the last segment"
                    check.problems.append(Problem(file: file, line: tail.lines + 1, message: why))
                    check.cuts.append(
                        Cut(
                            segment: number, start: tail.committedEnd, end: bytes.count, line: tail.lines + 1,
                            lastLine: tail.lines + 1, why: why))
                } else if rest > 0 {
                    check.uncommittedBytes = rest
                    check.cuts.append(
                        Cut(
                            segment: number, start: tail.committedEnd, end: bytes.count, line: tail.lines + 1,
                            lastLine: tail.lines + 1,
                            why: "after the last commit (an unfinished batch)"))
                }
            } catch {
                check.problems.append(Problem(file: file, line: 1, message: error.message))
            }
        }
        check.documents = ids.values.filter { $0 }.count
        if check.problems.isEmpty,
            let made = SnapshotFile(path: path + "/index/" + JSONFileStore.accessColumnsCache + ".bin").position(),
            let lastNumber = check.numbers.last
        {
            let end = DocumentLog.Position(segment: lastNumber, offset: check.lastCommittedEnd, batch: 0)
            if !made.isAtOrBefore(end) {
                check.problems.append(
                    Problem(
                        file: log.path(lastNumber), line: check.lastCommittedLine + 1,
                        message:
                            "the log ends before the place the access columns (index/customers.bin) were made at (segment \(made.segment), byte \(made.offset)): committed batches are missing"
                    ))
                check.indexAhead = true
            }
        }
        return check
    }

    /// The store's own index files (`index/ids.bin`, the position of the access
    /// columns in `index/customers.bin`) against the whole log; run when the log itself
    /// is whole. The caches made from documents are compared by `ClienteleKit`, which
    /// knows how they are made.
    package static func verifyIndexFiles(of store: JSONFileStore) -> [Problem] {
        let file = store.cachePath(JSONFileStore.accessColumnsCache)
        do throws(StoreError) {
            var problems: [Problem] = []
            if let made = SnapshotFile(path: file).position(), !store.log.isCommitBoundary(made) {
                problems.append(
                    Problem(
                        file: file, line: 1,
                        message:
                            "it was made at a place that is not the end of a committed batch of this log; it is not used, and the next command rebuilds it"
                    ))
            }
            let whole = try DocumentLog.open(directory: store.path + "/data", recover: false)
            // Compared at the same end of the log only: a writer may have committed between the two openings.
            if whole.end == store.log.end, !store.log.sameIds(as: whole) {
                problems.append(
                    Problem(
                        file: store.path + "/index/ids.bin", line: 1,
                        message:
                            "the id index does not match the log; delete index/ (a cache) and the next command rebuilds it"
                    ))
            }
            return problems
        } catch {
            return [Problem(file: file, line: 1, message: error.message)]
        }
    }

    /// Whether the commit line that ends at `end` carries a checksum.
    static func hasChecksum(_ bytes: UnsafeBufferPointer<UInt8>, endingAt end: Int) -> Bool {
        let tail = UnsafeBufferPointer(rebasing: bytes[max(0, end - 22)..<end])
        return ByteSearch.contains(tail, SegmentScan.checksumKey)
    }

    /// The 1-based line of the byte at `offset` (only for problems, so counting is fine).
    static func lineNumber(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int) -> Int {
        var n = 1
        for k in 0..<offset where bytes[k] == 0x0A { n += 1 }
        return n
    }

    /// What repair did.
    package struct Repair: Sendable {
        package var cut: [String] = []
        package var renamed: [String] = []
        package var backup: String?
        package var removedIndex = false
        /// The config version recorded as applied again, its own entry having been cut.
        package var rerecorded: Int?
        /// Ids of customers whose batches were cut: retired, never given again.
        package var retired: [String] = []
    }

    /// After the cuts, in one batch: the ids of the customers whose lines were cut are
    /// retired (deleted, so no new customer gets one and inherits their log), with a log
    /// entry saying so; and when no entry recording an applied version is left (the first
    /// batch was cut), the version a cut entry named, or else the newest version file, is
    /// recorded again from `versions/`, so the store still says which config governs it.
    /// While an entry is left, it stays the applied version: its data is what remains.
    static func settle(storePath path: String, cut: [UInt8], versions: [Int], time: String) throws(StoreError) -> (
        retired: [String], version: Int?
    ) {
        let log = try DocumentLog.open(directory: path + "/data", recover: true)
        let remaining = try log.lastLogEntry(containing: JSONFileStore.versionMarker)?["config_version"].flatMap {
            Int($0.jsonText)
        }
        var retired: [String] = []
        cut.withUnsafeBufferPointer { bytes in
            for line in Lines(bytes) {
                if let header = LineHeader(line.bytes), header.commit == nil, !header.isLog,
                    DocumentLog.isValidId(header.id), !log.contains(header.id), !log.isRetired(header.id),
                    !retired.contains(header.id)
                {
                    retired.append(header.id)
                }
            }
        }
        var operations: [DocumentLog.Operation] = retired.map { .delete(id: $0) }
        var version: Int?
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: path + "/versions")) ?? [])
            .compactMap { $0.hasSuffix(".json") && $0.count == 11 ? Int($0.prefix(6)) : nil }
        if remaining == nil, let target = versions.filter(files.contains).max() ?? files.max() {
            let record = try JSONFileStore.readVersionFile(path: path, number: target)
            let file = try? MappedFile(path: JSONFileStore.versionPath(path, target), followLinks: false)
            version = target
            operations.append(
                .log(
                    entry: JSONFileStore.versionEntry(
                        target, by: record.appliedBy, at: time,
                        extra: [
                            ("repaired", .bool(true)),
                            JSONFileStore.fileChecksum(file.map { Checksum.crc32c($0.bytes) } ?? 0),
                        ])))
        }
        if !retired.isEmpty {
            // Logged as the one who applied the governing version: the store's administrator.
            let actor =
                (try? JSONFileStore.readVersionFile(path: path, number: remaining ?? version ?? 1))?.appliedBy ?? ""
            operations.insert(
                .log(
                    entry: .object([
                        ("time", .string(time)), ("actor", .string(actor)), ("type", .string("repair")),
                        ("customers", .array(retired.map(JSONValue.string))),
                        ("changes", .array([])),
                        ("reason", .string("cut by store repair (damaged); kept in backups/; the ids stay retired")),
                        ("config_version", remaining.map { .number(String($0)) } ?? .null),
                    ])), at: retired.count)
        }
        if !operations.isEmpty { try log.commit(operations) }
        return (retired, version)
    }

    /// The numbers of the version entries in some log lines (`"type":"apply","customers":[],...,"config_version":N`).
    static func versionNumbers(in bytes: [UInt8]) -> [Int] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n").compactMap { line -> Int? in
            guard line.contains(JSONFileStore.versionMarker), let key = line.range(of: "\"config_version\":") else {
                return nil
            }
            return Int(line[key.upperBound...].prefix { $0.isNumber })
        }
    }

    /// Cuts the damaged stretches out of their segments (after writing them to
    /// `backups/repair-TIME.jsonl`), closes the gaps of missing segments by renaming
    /// the later ones, and removes `index/` (a cache, rebuilt on next use). Holds the
    /// store's lock throughout.
    /// `cachesAreStale`: whether a cache made from the documents no longer matches them
    /// (asked only when the log is whole; `ClienteleKit` knows how the caches are made).
    package static func repair(storePath path: String, time: String, cachesAreStale: () -> Bool) throws(StoreError)
        -> Repair
    {
        let lock = try StoreLock.acquire(in: path, holder: "clientele store repair", timeout: 10)
        defer { withExtendedLifetime(lock) {} }
        let check = verifyLog(storePath: path)
        var repair = Repair()
        var cutVersions: [Int] = []
        var cutBytes: [UInt8] = []
        let log = DocumentLogPaths(directory: path + "/data")
        if !check.cuts.isEmpty {
            let stamp = time.filter { $0.isNumber || $0 == "T" || $0 == "Z" }
            // A repair never replaces the backup of another.
            var backup = path + "/backups/repair-\(stamp).jsonl"
            var k = 2
            while FileManager.default.fileExists(atPath: backup) {
                backup = path + "/backups/repair-\(stamp)-\(k).jsonl"
                k += 1
            }
            var saved: [UInt8] = []
            for cut in check.cuts {
                guard let mapped = try? MappedFile(path: log.path(cut.segment), followLinks: false) else { continue }
                let header: JSONValue = .object([
                    (
                        "repair",
                        .object([
                            ("file", .string("data/" + (log.path(cut.segment) as NSString).lastPathComponent)),
                            ("lines", .string("\(cut.line)-\(cut.lastLine)")),
                            ("bytes", .string("\(cut.start)-\(cut.end)")), ("why", .string(cut.why)),
                        ])
                    )
                ])
                saved += Array((header.jsonText + "\n").utf8)
                saved += Array(mapped.bytes[cut.start..<cut.end])
                if saved.last != 0x0A { saved.append(0x0A) }
            }
            try JSONFileStore.writeFile(saved, to: backup)
            repair.backup = backup
            cutVersions = Self.versionNumbers(in: saved)
            cutBytes = saved
            for segment in Set(check.cuts.map(\.segment)).sorted() {
                let file = log.path(segment)
                let mapped: MappedFile
                do { mapped = try MappedFile(path: file, followLinks: false) } catch {
                    throw StoreError(error.description)
                }
                var kept: [UInt8] = []
                var at = 0
                for cut in check.cuts.filter({ $0.segment == segment }).sorted(by: { $0.start < $1.start }) {
                    kept += mapped.bytes[at..<cut.start]
                    at = cut.end
                    repair.cut.append("\(file):\(cut.line)-\(cut.lastLine): \(cut.why)")
                }
                kept += mapped.bytes[at...]
                try JSONFileStore.writeFile(kept, to: file)
            }
        }
        // Segments after a missing one move down, so the log is numbered without a gap again.
        var next: Int32 = 1
        for number in check.numbers {
            if number != next {
                var existing = stat()
                guard lstat(log.path(next), &existing) != 0 else {
                    throw StoreError("cannot rename \(log.path(number)): \(log.path(next)) exists")
                }
                guard rename(log.path(number), log.path(next)) == 0 else {
                    throw .system("cannot rename", log.path(number))
                }
                repair.renamed.append("\(log.path(number)) -> \(log.path(next))")
            }
            next += 1
        }
        (repair.retired, repair.rerecorded) = try settle(
            storePath: path, cut: cutBytes, versions: cutVersions, time: time)
        let index = path + "/index"
        // Caches that do not match the log go too (they are not used, but verify keeps naming them).
        let stale = check.problems.isEmpty && cachesAreStale()
        let mustDrop =
            !repair.cut.isEmpty || !repair.renamed.isEmpty || check.indexAhead || repair.rerecorded != nil || stale
        if mustDrop, FileManager.default.fileExists(atPath: index) {
            do { try FileManager.default.removeItem(atPath: index) } catch {
                throw StoreError("cannot remove \(index): \(error.localizedDescription)")
            }
            repair.removedIndex = true
        }
        return repair
    }
}

/// The segment file names of a log folder, without opening it.
struct DocumentLogPaths {
    let directory: String

    func path(_ segment: Int32) -> String {
        let s = String(segment)
        return directory + "/" + String(repeating: "0", count: max(0, 6 - s.count)) + s + ".jsonl"
    }
}
