import ClienteleCore
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Documents kept as an append-only log of JSON Lines segments (`data/000001.jsonl`,
/// readable with jq). A write is a batch: one line per operation, then a commit line,
/// appended and fsynced before it is acknowledged. Opening replays the committed
/// batches and cuts off whatever follows the last commit (a torn line or a batch
/// killed half-way), so a batch is all there or not there at all.
///
///     {"batch":7,"op":"put","id":"P000001","doc":{...}}
///     {"batch":7,"op":"delete","id":"P000002"}
///     {"batch":7,"commit":2}
package final class DocumentLog {
    package typealias Operation = StoreOperation

    struct Location: Equatable {
        var segment: Int32
        var offset: Int
        var length: Int32

        /// Sorts lines in the order they were written (segment, then offset).
        var logOrder: UInt64 { UInt64(UInt32(bitPattern: segment)) << 40 | UInt64(offset) }

        /// Whether the line was written before `position`.
        func isBefore(_ position: Position) -> Bool {
            segment < position.segment || (segment == position.segment && offset < position.offset)
        }
    }

    /// A place in the log just after a batch's commit line: what a snapshot kept
    /// beside the log was made from.
    package struct Position: Sendable, Equatable {
        package var segment: Int32
        package var offset: Int
        /// The batch whose commit line ends here (0 for the start of an empty log).
        package var batch: Int

        func isAtOrBefore(_ other: Position) -> Bool {
            segment < other.segment || (segment == other.segment && offset <= other.offset)
        }
    }

    package let directory: String
    /// The id index as it stood at a committed position (`index/ids.bin`), when it
    /// checked out: only the lines after its position were read.
    private var stored: StoredIds?
    /// Where each document written after `stored`'s position (every document, without it) stands.
    private var index: [String: Location] = [:]
    /// Documents of `stored` deleted since its position.
    private var removedFromStored: Set<String> = []
    /// Ids deleted after `stored`'s position (every deleted id, without it): never given to a new customer.
    private var retiredSince: Set<String> = []
    /// Ids `stored` lists as retired that were put again since.
    private var unretired: Set<String> = []
    /// Whether a batch read so far carried a checksum (then every later one must).
    private var checksummed = false
    /// How many documents are stored now, customers' and related records'.
    private var liveCount = 0
    /// How many of them are related records (`RecordKey`).
    package private(set) var recordCount = 0
    /// How many customers are stored now.
    package var count: Int { liveCount - recordCount }
    /// Put and delete lines read or written after `stored`'s position (all of them, without it).
    private var linesSinceStored = 0
    /// Where each log entry sits, oldest first.
    private(set) var logLocations: [Location] = []
    private var readers: [Int32: Int32] = [:]
    /// The device and inode of each segment as it was read: a repair that rewrites one
    /// makes it another file, which `catchUp` refuses.
    private var identities: [Int32: FileIdentity] = [:]
    private var writer: Int32 = -1
    private var writerSegment: Int32 = 0
    private var writerSize = 0
    private var nextBatch = 1
    /// Just after the last committed batch.
    package private(set) var end = Position(segment: 1, offset: 0, batch: 0)
    /// Bytes cut off the end of the log when it was opened (an unfinished batch).
    package private(set) var recoveredBytes = 0

    /// A segment is closed and a new one started past this size.
    package static let segmentLimit = 256 << 20

    private init(directory: String) {
        self.directory = directory
    }

    deinit {
        for fd in readers.values { close(fd) }
        if writer >= 0 { close(writer) }
    }

    /// Every stored customer's id, in no particular order.
    package var ids: [String] { currentLocations(.customers).map(\.id) }
    package func contains(_ id: String) -> Bool { location(of: id) != nil }

    /// Where the current document with this id stands.
    func location(of id: String) -> Location? {
        if let location = index[id] { return location }
        guard let stored, !removedFromStored.contains(id) else { return nil }
        return stored.location(id)
    }

    /// Whether a document with this id was deleted (and not put again).
    package func isRetired(_ id: String) -> Bool {
        if retiredSince.contains(id) { return true }
        guard let stored, index[id] == nil, !unretired.contains(id) else { return false }
        return stored.isRetired(id)
    }

    /// The ids put or deleted after the stored id index's position (all of them without
    /// one), and the highest number per prefix it recorded: together, every id ever used.
    var idsSinceStored: (ids: [String], numbers: [String: Int]) {
        (Array(index.keys) + Array(retiredSince), stored?.numbers ?? [:])
    }

    /// Whether this log's id index says what `other`'s does (one opened from
    /// `index/ids.bin`, the other from the whole log): the same documents at the same
    /// places, the same retired ids and log entries.
    func sameIds(as other: DocumentLog) -> Bool {
        func sorted(_ log: DocumentLog) -> [(String, Location)] {
            log.currentLocations(.all).sorted { $0.id < $1.id }.map { ($0.id, $0.location) }
        }
        func retired(_ log: DocumentLog) -> Set<String> {
            var ids = log.retiredSince
            log.stored?.retired.forEach { key, _ in
                let id = String(decoding: key, as: UTF8.self)
                if log.isRetired(id) { ids.insert(id) }
            }
            return ids
        }
        return liveCount == other.liveCount && end == other.end && logLocations == other.logLocations
            && sorted(self).elementsEqual(sorted(other), by: { $0.0 == $1.0 && $0.1 == $1.1 })
            && retired(self) == retired(other)
    }

    /// Which current documents a walk visits: the customers, the related records
    /// (`RecordKey`), or both.
    enum Documents {
        case customers, records, all

        @inline(__always) func takes(isRecord: Bool) -> Bool {
            switch self {
            case .customers: return !isRecord
            case .records: return isRecord
            case .all: return true
            }
        }
    }

    /// Every current document's id and location, of `which`.
    private func currentLocations(_ which: Documents) -> [(id: String, location: Location)] {
        var result: [(id: String, location: Location)] = []
        result.reserveCapacity(which == .records ? recordCount : liveCount)
        forEachCurrent(which, ids: true) { id, location in result.append((id!, location)) }
        return result
    }

    /// Where every current document of `which` is, in log order.
    private func currentLocationsInLogOrder(_ which: Documents) -> [Location] {
        var result: [Location] = []
        result.reserveCapacity(which == .records ? recordCount : liveCount)
        forEachCurrent(which, ids: false) { _, location in result.append(location) }
        result.sort { $0.logOrder < $1.logOrder }
        return result
    }

    /// Calls `body` with every current document's location, of `which`, and its id when
    /// `ids` (no id is made when none was written or deleted since the stored index).
    private func forEachCurrent(_ which: Documents, ids: Bool, _ body: (String?, Location) -> Void) {
        let filtered = !index.isEmpty || !removedFromStored.isEmpty
        // Without a record stored, no key needs looking at.
        let sorting = which != .all && recordCount > 0
        stored?.live.forEach { key, value in
            if sorting, !which.takes(isRecord: RecordKey.isRecord(key)) { return }
            let id = ids || filtered ? String(decoding: key, as: UTF8.self) : nil
            if filtered, let id, index[id] != nil || removedFromStored.contains(id) { return }
            body(id, StoredIds.location(value))
        }
        for (id, location) in index where !sorting || which.takes(isRecord: RecordKey.isRecord(id)) {
            body(id, location)
        }
    }

    /// Records a put of `id` at `location`.
    private func notePut(_ id: String, _ location: Location) {
        linesSinceStored += 1
        if index.updateValue(location, forKey: id) == nil,
            stored == nil || removedFromStored.contains(id) || stored?.location(id) == nil
        {
            liveCount += 1
            if RecordKey.isRecord(id) { recordCount += 1 }
        }
        if !retiredSince.isEmpty { retiredSince.remove(id) }
        if let stored, stored.isRetired(id) { unretired.insert(id) }
    }

    /// Records a delete of `id`.
    private func noteDelete(_ id: String) {
        linesSinceStored += 1
        if contains(id) {
            liveCount -= 1
            if RecordKey.isRecord(id) { recordCount -= 1 }
        }
        index[id] = nil
        if let stored, stored.location(id) != nil { removedFromStored.insert(id) }
        retiredSince.insert(id)
        unretired.remove(id)
    }

    /// Opens (creating if needed) the log in `directory` and replays it. With
    /// `recover` (only under the store's lock) an unfinished tail is cut off;
    /// without it, it is ignored, since a writer may be appending it right now.
    ///
    /// `reaching` is a committed position something kept beside the log was made at (the
    /// access columns): a log that ends before it lost committed batches, and is refused
    /// before anything is cut.
    ///
    /// `idIndex` is where the id index is kept (`index/ids.bin`): when it checks out,
    /// only the lines written after its position are read (and their batches' checksums
    /// checked); the lines before it were read whole when it was made.
    package static func open(directory: String, recover: Bool = true, reaching: Position? = nil, idIndex: String? = nil)
        throws(StoreError) -> DocumentLog
    {
        let log = DocumentLog(directory: directory)
        try log.createDirectory(directory)
        let numbers = segmentNumbers(in: directory)
        // Segments are numbered from 1 without a gap: a missing one is lost data, never skipped.
        for (k, number) in numbers.enumerated() where number != Int32(k + 1) {
            throw damaged(
                log.path(Int32(k + 1)), 1,
                "the segment is missing (\((log.path(number) as NSString).lastPathComponent) follows \(k == 0 ? "nothing" : (log.path(numbers[k - 1]) as NSString).lastPathComponent))"
            )
        }
        var first = 0
        var from = 0
        if let idIndex, let stored = StoredIds.load(path: idIndex), log.adopt(stored, segments: numbers.count) {
            first = Int(stored.position.segment) - 1
            from = stored.position.offset
        }
        for k in first..<numbers.count {
            try log.replay(
                numbers[k], from: k == first ? from : 0, isLast: k == numbers.count - 1, recover: recover,
                reaching: reaching)
        }
        if let reaching, !reaching.isAtOrBefore(log.end) { throw log.shorter(than: reaching) }
        if recover { try log.openWriter(numbers.last ?? 1) }
        return log
    }

    /// Reads the batches committed after `end` by another writer (in this segment and
    /// any newer ones); returns whether there were any. `recover`: this process now
    /// holds the store's lock, so it cuts off an unfinished tail and appends next.
    /// A log that no longer reaches `end` (a repair cut batches out) is refused: it
    /// must be opened again.
    package func catchUp(recover: Bool) throws(StoreError) -> Bool {
        let before = end
        // A repair rewrites and renames segments: a file read before is then another file.
        var read = identities
        for (segment, fd) in readers {
            var open = stat()
            if fstat(fd, &open) == 0, read[segment] == nil { read[segment] = FileIdentity(open) }
        }
        for (segment, identity) in read {
            var named = stat()
            guard lstat(path(segment), &named) == 0, FileIdentity(named) == identity else {
                throw StoreError(
                    "the log at \(directory) was rewritten since this process read it (segment \(segment)): it was cut by a repair; open the store again",
                    file: path(segment))
            }
        }
        let numbers = Self.segmentNumbers(in: directory)
        let current = Int(end.segment)
        var info = stat()
        let reaches =
            numbers.count >= current && (end.offset == 0 || lstat(path(end.segment), &info) == 0)
            && (end.offset == 0 || Int(info.st_size) >= end.offset)
        guard reaches else {
            throw StoreError(
                "the log at \(directory) no longer reaches the place this process read it to (segment \(end.segment), byte \(end.offset)): it was cut by a repair; open the store again",
                file: path(end.segment))
        }
        if numbers.count >= max(current, 1) {
            for k in max(current, 1)...numbers.count {
                try replay(
                    Int32(k), from: k == current ? end.offset : 0, isLast: k == numbers.count, recover: recover,
                    reaching: nil)
            }
        }
        if recover { try openWriter(Int32(max(numbers.count, 1))) }
        return end != before
    }

    /// Stops appending (after `catchUp(recover: true)`): the lock is about to be let go.
    /// Batches committed while `syncsLater` was set are made durable first, with one
    /// fsync (group commit); a failure to do so is thrown after the writer is closed.
    package func closeWriter() throws(StoreError) {
        defer {
            if writer >= 0 { close(writer) }
            writer = -1
            syncsLater = false
        }
        try syncGroup()
    }

    /// When set, `commit` writes a batch without waiting for it to reach the disk, and
    /// `closeWriter` makes every such batch durable at once: a process that answers many
    /// requests commits them in groups, each acknowledged only after the group's fsync.
    package var syncsLater = false {
        didSet { if syncsLater { syncedSize = writerSize } }
    }
    /// Whether batches were written since the last fsync.
    private var unsynced = false
    /// Where the writer's segment ended at its last fsync (or when `syncsLater` was set).
    private var syncedSize = 0
    /// Why the batches of a group could not be made durable. They were cut off the file
    /// again (none of them was acknowledged), so this value no longer matches the log:
    /// it commits nothing more, and the store must be opened again.
    package private(set) var failedSync: StoreError?

    /// Makes the batches written since the last fsync durable; when that fails, cuts
    /// them off the file (a later fsync could succeed without them having reached the disk).
    private func syncGroup() throws(StoreError) {
        if let failedSync { throw failedSync }
        guard unsynced, writer >= 0 else { return }
        guard fsync(writer) == 0 else {
            var error = StoreError.system("cannot make durable", path(writerSegment))
            if ftruncate(writer, off_t(syncedSize)) != 0 {
                error.message +=
                    "; the batches not made durable could not be cut off either: 'clientele store verify' before writing again"
            }
            error.file = path(writerSegment)
            failedSync = error
            throw error
        }
        unsynced = false
        syncedSize = writerSize
    }

    /// Starts the next segment when this one is full. A group (`syncsLater`) starts none
    /// while it writes: its batches sit in one file, after the last fsync, and are cut
    /// off together when their fsync fails.
    package func rollIfFull() throws(StoreError) {
        if writer >= 0, writerSize > Self.segmentLimit { try openWriter(writerSegment + 1) }
    }

    /// Starts from the stored id index when it fits this log: its segment is there, the
    /// segments before it have the sizes it recorded, and its position ends a committed batch.
    private func adopt(_ stored: StoredIds, segments: Int) -> Bool {
        let position = stored.position
        guard position.segment >= 1, Int(position.segment) <= segments, position.offset > 0 else { return false }
        for (k, size) in stored.segmentSizes.enumerated() {
            var info = stat()
            guard lstat(path(Int32(k + 1)), &info) == 0, Int(info.st_size) == size else { return false }
        }
        var info = stat()
        guard lstat(path(position.segment), &info) == 0, Int(info.st_size) >= position.offset else { return false }
        end = position
        guard isCommitBoundary(position, mark: stored.mark) else {
            end = Position(segment: 1, offset: 0, batch: 0)
            return false
        }
        self.stored = stored
        liveCount = stored.live.count
        recordCount = 0
        stored.live.forEach { key, _ in if RecordKey.isRecord(key) { recordCount += 1 } }
        nextBatch = stored.nextBatch
        checksummed = stored.checksummed
        logLocations = stored.logLocations
        return true
    }

    /// Whether the id index kept beside the log is missing or far enough behind to write again.
    package var idIndexIsBehind: Bool {
        stored == nil ? end.offset > 0 || end.segment > 1 : linesSinceStored > 1_000 + liveCount / 16
    }

    /// Writes the id index as it stands at the end of the log (`numbers`: the highest
    /// number in use per id prefix, retired ids included); false when it could not.
    @discardableResult
    package func saveIdIndex(path: String, numbers: [String: Int]) -> Bool {
        var retired = Array(retiredSince)
        stored?.retired.forEach { key, _ in
            let id = String(decoding: key, as: UTF8.self)
            if index[id] == nil, !unretired.contains(id), !retiredSince.contains(id) { retired.append(id) }
        }
        let sizes: [Int] = (1..<max(1, Int(end.segment))).map { k in
            var info = stat()
            return lstat(self.path(Int32(k)), &info) == 0 ? Int(info.st_size) : -1
        }
        guard !sizes.contains(-1) else { return false }
        guard let mark = mark(of: end) else { return false }
        return StoredIds.save(
            path: path, position: end, mark: mark, live: currentLocations(.all).map { ($0.id, $0.location) },
            retired: retired,
            logLocations: logLocations, nextBatch: nextBatch, checksummed: checksummed, segmentSizes: sizes,
            numbers: numbers)
    }

    /// The numbers of the segment files in `directory`, in order.
    static func segmentNumbers(in directory: String) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        // Six digits from 000001: no other name is a segment, so none is read, renamed or written.
        return names.compactMap { name -> Int32? in
            guard name.hasSuffix(".jsonl"), name.count == 12, name.prefix(6).allSatisfy({ $0.isASCII && $0.isNumber }),
                let n = Int32(name.prefix(6)), n >= 1
            else { return nil }
            return n
        }.sorted()
    }

    func path(_ segment: Int32) -> String {
        DocumentLogPaths(directory: directory).path(segment)
    }

    private func createDirectory(_ path: String) throws(StoreError) {
        try StoreError.ensureDirectory(path)
    }

    private func reader(_ segment: Int32) throws(StoreError) -> Int32 {
        if let fd = readers[segment] { return fd }
        let fd = Glibc.open(path(segment), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw .system("cannot open", path(segment)) }
        readers[segment] = fd
        return fd
    }

    /// Replays one segment (see `SegmentScan` for what counts as committed); damage
    /// refuses the log, naming the file and line. In the last segment, a writer cuts off
    /// the tail a crash left, or puts back the newline a verified commit line lost.
    /// `from`: where to start reading (the stored id index's position, in its segment).
    private func replay(_ segment: Int32, from start: Int, isLast: Bool, recover: Bool, reaching: Position?)
        throws(StoreError)
    {
        let file: MappedFile
        do { file = try MappedFile(path: path(segment), followLinks: false) } catch {
            throw StoreError(error.description, file: path(segment))
        }
        var info = stat()
        if lstat(path(segment), &info) == 0 { identities[segment] = FileIdentity(info) }
        let whole = file.bytes
        let bytes = UnsafeBufferPointer(rebasing: whole[min(start, whole.count)...])
        /// Line numbers count from the start of the file, whatever was skipped.
        func skippedLines() -> Int {
            start == 0 ? 0 : UnsafeBufferPointer(rebasing: whole[..<start]).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        func damaged(_ line: Int, _ why: String) -> StoreError {
            Self.damaged(path(segment), line + skippedLines(), why)
        }
        func damaged(_ mismatch: SegmentScan.ChecksumMismatch) -> StoreError {
            let skipped = skippedLines()
            return Self.damaged(path(segment), mismatch.line + skipped, mismatch.why(skipped: skipped))
        }
        // Documents are about a kilobyte each: room for them up front saves growing the index many times.
        index.reserveCapacity(index.count + bytes.count / 1_024)
        func commit(_ batch: Int, _ lines: [SegmentScan.Line], _ offset: Int) {
            for line in lines {
                let location = Location(segment: segment, offset: start + line.offset, length: Int32(line.length))
                if line.header.isLog {
                    logLocations.append(location)
                } else if line.header.isDelete {
                    noteDelete(line.header.id)
                } else {
                    notePut(line.header.id, location)
                }
            }
            nextBatch = max(nextBatch, batch + 1)
            end = Position(segment: segment, offset: start + offset, batch: batch)
        }
        // The checksums are computed on another core while this one reads the lines.
        let mismatch = Mutex<SegmentScan.ChecksumMismatch?>(nil)
        let checked = DispatchGroup()
        nonisolated(unsafe) let shared = bytes
        DispatchQueue.global().async(group: checked) {
            let found = SegmentScan.firstChecksumMismatch(shared)
            mismatch.withLock { $0 = found }
        }
        let tail: SegmentScan.Tail
        var shape: SegmentScan.Damage?
        do {
            tail = try SegmentScan.scan(
                bytes, after: nextBatch - 1, checksummed: checksummed, checksums: false, commit: commit
            ) { damage throws(StoreError) in
                shape = damage
                throw damaged(damage.line, damage.why)
            }
        } catch {
            checked.wait()
            // Of two damaged places, the first in the file is named.
            if let found = mismatch.withLock({ $0 }), let shape, found.line < shape.line {
                throw damaged(found)
            }
            throw error
        }
        checked.wait()
        if let found = mismatch.withLock({ $0 }) { throw damaged(found) }
        checksummed = tail.checksummed
        // A verified batch whose commit line lost its newline is committed for readers and
        // writers alike; a writer puts the newline back.
        if let (batch, lines) = tail.missingNewline {
            guard recover else {
                commit(batch, lines, bytes.count)
                return
            }
            let fd = Glibc.open(path(segment), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { throw .system("cannot recover", path(segment)) }
            let restored = write(fd, "\n", 1) == 1 && fsync(fd) == 0
            close(fd)
            guard restored else { throw .system("cannot recover", path(segment)) }
            commit(batch, lines, bytes.count + 1)
            return
        }
        guard tail.committedEnd < bytes.count else { return }
        guard isLast else {
            throw damaged(tail.lines + 1, "the segment ends in an unfinished batch, but it is not the last segment")
        }
        guard recover else { return }
        // Nothing is cut from a log that lost committed batches: that is for repair to decide.
        if let reaching, !reaching.isAtOrBefore(end) { throw shorter(than: reaching) }
        recoveredBytes = bytes.count - tail.committedEnd
        guard truncate(path(segment), off_t(start + tail.committedEnd)) == 0 else {
            throw .system("cannot recover", path(segment))
        }
    }

    func shorter(than position: Position) -> StoreError {
        Self.damaged(
            path(end.segment), nil,
            "the log ends before the place the access columns (index/customers.bin) were made at (segment \(position.segment), byte \(position.offset), batch \(position.batch)): committed batches are missing"
        )
    }

    /// Damage to committed data, in words that say what to do.
    static func damaged(_ file: String, _ line: Int?, _ why: String) -> StoreError {
        StoreError(
            "\(file)\(line.map { ":\($0)" } ?? ""): \(why); the store's data is damaged. Nothing was changed: 'clientele store verify' lists every damaged place, and 'clientele store repair' cuts the damaged batches out (into backups/)"
        )
    }

    private func openWriter(_ segment: Int32) throws(StoreError) {
        if writer >= 0 {
            // A full segment's batches not yet synced (group commit) reach the disk before it is left.
            try syncGroup()
            close(writer)
        }
        let fd = Glibc.open(path(segment), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .system("cannot open", path(segment)) }
        writer = fd
        writerSegment = segment
        var info = stat()
        fstat(fd, &info)
        writerSize = Int(info.st_size)
        syncedSize = writerSize
        identities[segment] = FileIdentity(info)
        syncDirectory()
    }

    private func syncDirectory() {
        let fd = Glibc.open(directory, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Appends the operations as one batch and makes it durable; when this returns,
    /// the batch survives a crash. Nothing is applied if it throws.
    package func commit(_ operations: [Operation]) throws(StoreError) {
        guard !operations.isEmpty else { return }
        if let failedSync { throw failedSync }
        guard writer >= 0 else { throw StoreError("the store was opened for reading only") }
        for op in operations {
            if let id = op.id, !DocumentLog.isValidId(id) {
                throw StoreError("'\(id)' is not a valid record id (1 to 64 letters, digits, '-' or '_')")
            }
        }
        if !syncsLater { try rollIfFull() }
        let batch = nextBatch
        var text = ""
        var lines: [(op: Operation, offset: Int, length: Int)] = []
        for op in operations {
            let before = text.utf8.count
            switch op {
            case .put(let id, let document):
                text += "{\"batch\":\(batch),\"op\":\"put\",\"id\":"
                JSONValue.writeString(id, to: &text)
                text += ",\"doc\":"
                document.write(to: &text)
                text += "}"
            case .delete(let id):
                text += "{\"batch\":\(batch),\"op\":\"delete\",\"id\":"
                JSONValue.writeString(id, to: &text)
                text += "}"
            case .log(let entry):
                text += "{\"batch\":\(batch),\"op\":\"log\",\"entry\":"
                entry.write(to: &text)
                text += "}"
            }
            lines.append((op, writerSize + before, text.utf8.count - before))
            text += "\n"
        }
        var bytes = Array(text.utf8)
        bytes += Self.commitLine(
            batch: batch, count: operations.count, checksum: bytes.withUnsafeBufferPointer { Checksum.crc32c($0) })
        guard FileWriting.writeAll(writer, bytes) else {
            let error = StoreError.system("cannot write", path(writerSegment))
            // Cut off what part of the batch reached the file, so the log stays whole.
            ftruncate(writer, off_t(writerSize))
            throw error
        }
        if syncsLater {
            unsynced = true
        } else {
            guard fsync(writer) == 0 else {
                let error = StoreError.system("cannot make durable", path(writerSegment))
                ftruncate(writer, off_t(writerSize))
                throw error
            }
        }
        writerSize += bytes.count
        nextBatch += 1
        end = Position(segment: writerSegment, offset: writerSize, batch: batch)
        for line in lines {
            switch line.op {
            case .put(let id, _):
                notePut(id, Location(segment: writerSegment, offset: line.offset, length: Int32(line.length)))
            case .delete(let id): noteDelete(id)
            case .log:
                logLocations.append(Location(segment: writerSegment, offset: line.offset, length: Int32(line.length)))
            }
        }
    }

    /// Writes one large batch as it is produced (an import), buffered, then commits
    /// and fsyncs it; if `produce` throws or a write fails, the batch is cut off again.
    package func commitStreaming(
        _ produce: (_ put: (String, UnsafeBufferPointer<UInt8>) throws -> Void, _ log: (JSONValue) throws -> Void)
            throws -> Void
    ) throws {
        guard writer >= 0 else { throw StoreError("the store was opened for reading only") }
        if let failedSync { throw failedSync }
        if !syncsLater { try rollIfFull() }
        let batch = nextBatch
        let start = writerSize
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var offset = writerSize
        var count = 0
        var puts: [(String, Location)] = []
        var logs: [Location] = []
        var checksum: UInt32 = 0
        func flush() throws {
            checksum = buffer.withUnsafeBufferPointer { Checksum.crc32c($0, continuing: checksum) }
            guard FileWriting.writeAll(writer, buffer) else {
                throw StoreError.system("cannot write", path(writerSegment))
            }
            buffer.removeAll(keepingCapacity: true)
        }
        func line(_ head: String, _ body: UnsafeBufferPointer<UInt8>) throws -> Location {
            let lineStart = offset
            buffer.append(contentsOf: head.utf8)
            buffer.append(contentsOf: body)
            buffer.append(UInt8(ascii: "}"))
            let length = head.utf8.count + body.count + 1
            buffer.append(0x0A)
            offset += length + 1
            count += 1
            if buffer.count > 1 << 20 { try flush() }
            return Location(segment: writerSegment, offset: lineStart, length: Int32(length))
        }
        // Ids are checked before they are written, so they need no escaping.
        let putHead = Array("{\"batch\":\(batch),\"op\":\"put\",\"id\":\"".utf8)
        let docHead = Array("\",\"doc\":".utf8)
        do {
            try produce(
                { id, document in
                    guard DocumentLog.isValidId(id) else { throw StoreError("'\(id)' is not a valid record id") }
                    let lineStart = offset
                    buffer.append(contentsOf: putHead)
                    var id = id
                    id.withUTF8 { buffer.append(contentsOf: $0) }
                    buffer.append(contentsOf: docHead)
                    buffer.append(contentsOf: document)
                    buffer.append(UInt8(ascii: "}"))
                    buffer.append(0x0A)
                    let length = putHead.count + id.utf8.count + docHead.count + document.count + 1
                    offset += length + 1
                    count += 1
                    if buffer.count > 1 << 20 { try flush() }
                    puts.append((id, Location(segment: writerSegment, offset: lineStart, length: Int32(length))))
                },
                { entry in
                    let text = Array(entry.jsonText.utf8)
                    try text.withUnsafeBufferPointer {
                        logs.append(try line("{\"batch\":\(batch),\"op\":\"log\",\"entry\":", $0))
                    }
                })
            guard count > 0 else { return }
            try flush()
            let commit = Self.commitLine(batch: batch, count: count, checksum: checksum)
            buffer = commit
            offset += commit.count
            try flush()
            guard fsync(writer) == 0 else { throw StoreError.system("cannot make durable", path(writerSegment)) }
        } catch {
            ftruncate(writer, off_t(start))
            throw error
        }
        writerSize = offset
        nextBatch += 1
        end = Position(segment: writerSegment, offset: writerSize, batch: batch)
        index.reserveCapacity(index.count + puts.count)
        for (id, location) in puts { notePut(id, location) }
        logLocations.append(contentsOf: logs)
    }

    /// `{"batch":N,"commit":COUNT,"crc32c":"hhhhhhhh"}` and its newline: the batch's
    /// lines (each with its newline) checksummed, so that a changed byte anywhere in a
    /// committed batch is found by `store verify`, and by opening when the batch was
    /// written after the id index's position (every batch, without an id index).
    static func commitLine(batch: Int, count: Int, checksum: UInt32) -> [UInt8] {
        let hex = String(checksum, radix: 16)
        return Array(
            "{\"batch\":\(batch),\"commit\":\(count),\"crc32c\":\"\(String(repeating: "0", count: 8 - hex.count) + hex)\"}\n"
                .utf8)
    }

    /// The stored document with this id, or nil.
    package func document(_ id: String) throws(StoreError) -> JSONValue? {
        guard let location = location(of: id) else { return nil }
        return try line(at: location)["doc"]
    }

    /// Calls `body` with the bytes of every current customer document, in log order.
    package func forEachDocument(_ body: (UnsafeBufferPointer<UInt8>) -> Void) throws(StoreError) {
        try forEachDocument(inLogOrder: currentLocationsInLogOrder(.customers), body)
    }

    /// Calls `body` with the key (`RecordKey`) and bytes of every current related
    /// record of `kind` (of every kind when nil), in log order.
    package func forEachRecord(kind: String?, _ body: (String, UnsafeBufferPointer<UInt8>) -> Void)
        throws(StoreError)
    {
        guard recordCount > 0 else { return }
        let prefix = kind.map { $0 + ":" }
        var keyed: [(id: String, location: Location)] = []
        forEachCurrent(.records, ids: true) { id, location in
            if prefix == nil || id!.hasPrefix(prefix!) { keyed.append((id!, location)) }
        }
        keyed.sort { $0.location.logOrder < $1.location.logOrder }
        try forEachDocument(inLogOrder: keyed.map(\.location)) { n, bytes in body(keyed[n].id, bytes) }
    }

    /// Calls `body` with the bytes of the current documents among `ids` (from
    /// `idsWritten(after: position)`) that were written after `position`, in log order.
    package func forEachDocument(
        of ids: [String], writtenAfter position: Position, _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) throws(StoreError) {
        let locations = ids.compactMap { id in location(of: id).flatMap { $0.isBefore(position) ? nil : $0 } }
        try forEachDocument(inLogOrder: locations.sorted { $0.logOrder < $1.logOrder }, body)
    }

    /// Calls `body` with the bytes of every current document, split between
    /// `workers` threads (each a contiguous share of the log, in order); `body`
    /// gets the worker's number and must be safe to call from several threads at once.
    package func forEachDocumentConcurrently(workers: Int, _ body: @Sendable (Int, UnsafeBufferPointer<UInt8>) -> Void)
        throws(StoreError)
    {
        let locations = currentLocationsInLogOrder(.customers)
        let workers = max(1, min(workers, locations.count))
        let shares = (0..<workers).map { w in
            Array(locations[(locations.count * w / workers)..<(locations.count * (w + 1) / workers)])
        }
        let failures = Mutex<StoreError?>(nil)
        // The walk only reads: mapped segment files, and no state that changes.
        nonisolated(unsafe) let log = self
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            do throws(StoreError) {
                try log.forEachDocument(inLogOrder: shares[w]) { body(w, $0) }
            } catch {
                failures.withLock { $0 = error }
            }
        }
        if let failure = failures.withLock({ $0 }) { throw failure }
    }

    private func forEachDocument(inLogOrder locations: [Location], _ body: (UnsafeBufferPointer<UInt8>) -> Void)
        throws(StoreError)
    {
        try forEachDocument(inLogOrder: locations) { _, bytes in body(bytes) }
    }

    /// The same, telling `body` which of `locations` each document is at.
    private func forEachDocument(
        inLogOrder locations: [Location], _ body: (Int, UnsafeBufferPointer<UInt8>) -> Void
    ) throws(StoreError) {
        var mapped: [Int32: MappedFile] = [:]
        let marker = Array(",\"doc\":".utf8)
        var previous: Location?
        for (n, location) in locations.enumerated() {
            // An id written twice since `position` is listed twice, at its one current place.
            if let p = previous, p.segment == location.segment, p.offset == location.offset { continue }
            previous = location
            if mapped[location.segment] == nil {
                do { mapped[location.segment] = try MappedFile(path: path(location.segment), followLinks: false) } catch
                { throw StoreError(error.description, file: path(location.segment)) }
            }
            let bytes = mapped[location.segment]!.bytes
            guard location.offset + Int(location.length) <= bytes.count else { throw cut(location.segment) }
            let line = UnsafeBufferPointer(rebasing: bytes[location.offset..<(location.offset + Int(location.length))])
            // The document follows the fixed head `{"batch":N,"op":"put","id":"X","doc":` and ends before the last `}`.
            var k = 0
            while k + marker.count <= line.count, !marker.indices.allSatisfy({ line[k + $0] == marker[$0] }) { k += 1 }
            guard k + marker.count < line.count else { continue }
            body(n, UnsafeBufferPointer(rebasing: line[(k + marker.count)..<(line.count - 1)]))
        }
    }

    /// A segment shorter than this process read it: cut or rewritten under it (a repair).
    private func cut(_ segment: Int32) -> StoreError {
        StoreError(
            "\(path(segment)) is shorter than this process read it: it was cut by a repair; open the store again",
            file: path(segment))
    }

    /// The customer ids put or deleted after `position` (a commit boundary), from the heads
    /// of the lines written since: as many as were written, not as many as are stored.
    package func idsWritten(after position: Position) throws(StoreError) -> [String] {
        var ids: [String] = []
        guard position != end else { return ids }
        for segment in position.segment...end.segment {
            let file: MappedFile
            do { file = try MappedFile(path: path(segment), followLinks: false) } catch {
                throw StoreError(error.description, file: path(segment))
            }
            let bytes = file.bytes
            let start = segment == position.segment ? position.offset : 0
            let stop = segment == end.segment ? min(end.offset, bytes.count) : bytes.count
            guard start <= stop else { throw cut(segment) }
            // Committed lines only: each ends with its newline.
            for line in Lines(bytes, from: start, to: stop) where line.hasNewline {
                if let header = LineHeader(line.bytes), header.commit == nil, !header.isLog,
                    !RecordKey.isRecord(header.id)
                {
                    ids.append(header.id)
                }
            }
        }
        return ids
    }

    /// Whether `position` is the end of a committed batch of this log: the commit
    /// line of its batch ends right there, at or before the end of the log.
    package func isCommitBoundary(_ position: Position) -> Bool {
        mark(of: position) != nil
    }

    /// Whether `position` is the end of a committed batch of this log whose commit line
    /// has this mark (`mark(of:)`): a snapshot made from this log, not from a copy of it
    /// that took other writes of the same length.
    func isCommitBoundary(_ position: Position, mark: UInt64) -> Bool {
        self.mark(of: position) == mark
    }

    /// The CRC-32C of the commit line that ends at `position` (its batch, count and the
    /// batch's checksum), with bit 32 set; nil when no commit line ends there.
    func mark(of position: Position) -> UInt64? {
        guard position.segment < end.segment || (position.segment == end.segment && position.offset <= end.offset)
        else { return nil }
        if position.offset == 0 { return position.batch == 0 && position.segment == 1 ? 1 << 32 : nil }
        let expected = Array("{\"batch\":\(position.batch),\"commit\":".utf8)
        // The commit line, and the newline before it unless it starts the segment.
        let window = min(position.offset, expected.count + 64)
        guard let fd = try? reader(position.segment) else { return nil }
        var buffer = [UInt8](repeating: 0, count: window)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, window, off_t(position.offset - window)) }
        guard n == window, buffer.last == 0x0A, let open = buffer.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        let startsLine = open > 0 ? buffer[open - 1] == 0x0A : window == position.offset
        guard startsLine && buffer[open...].starts(with: expected) else { return nil }
        return buffer[open...].withUnsafeBufferPointer { UInt64(Checksum.crc32c($0)) | 1 << 32 }
    }

    /// Every log entry, oldest first; with `containing`, only the entries whose
    /// text holds those bytes are parsed (finding the applied versions among imports
    /// that name a million customers).
    /// The newest log entry whose line holds `needle`, reading from the end.
    /// `within`: how far into the line the needle can be (an entry's head: its time,
    /// actor and type come before the customers it names, which may be a million).
    package func lastLogEntry(containing needle: String, within: Int = .max) throws(StoreError) -> JSONValue? {
        let pattern = Array(needle.utf8)
        for location in logLocations.reversed() {
            let fd = try reader(location.segment)
            let length = min(Int(location.length), within)
            var buffer = [UInt8](repeating: 0, count: length)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, length, off_t(location.offset)) }
            guard n == length else { throw .system("cannot read", path(location.segment)) }
            if ByteSearch.contains(buffer, pattern) { return try line(at: location)["entry"] }
        }
        return nil
    }

    package func logEntries(containing needle: String? = nil) throws(StoreError) -> [JSONValue] {
        var entries: [JSONValue] = []
        let pattern = needle.map { Array($0.utf8) }
        for location in logLocations {
            if let pattern {
                let fd = try reader(location.segment)
                var buffer = [UInt8](repeating: 0, count: Int(location.length))
                let n = buffer.withUnsafeMutableBytes {
                    pread(fd, $0.baseAddress!, Int(location.length), off_t(location.offset))
                }
                guard n == Int(location.length) else { throw .system("cannot read", path(location.segment)) }
                if !ByteSearch.contains(buffer, pattern) { continue }
            }
            if let entry = try line(at: location)["entry"] { entries.append(entry) }
        }
        return entries
    }

    private func line(at location: Location) throws(StoreError) -> JSONValue {
        let fd = try reader(location.segment)
        var buffer = [UInt8](repeating: 0, count: Int(location.length))
        let n = buffer.withUnsafeMutableBytes {
            pread(fd, $0.baseAddress!, Int(location.length), off_t(location.offset))
        }
        guard n == Int(location.length) else { throw .system("cannot read", path(location.segment)) }
        guard let line = try? JSONValue.parse(String(decoding: buffer, as: UTF8.self)) else {
            throw StoreError("a stored line in \(path(location.segment)) at byte \(location.offset) is not valid JSON")
        }
        return line
    }

    /// Record ids (and related records' keys) are the only names the store derives from
    /// input; they never become file names.
    package static func isValidId(_ id: String) -> Bool {
        var s = id
        return s.withUTF8 { ValueFormats.isRecordId($0) } || RecordKey.isValid(id)
    }
}

/// The fixed head of a log line, read from its bytes without parsing (or copying) the document.
struct LineHeader {
    var batch: Int
    var commit: Int?
    var isDelete = false
    var isLog = false
    var id = ""

    /// The batch's checksum, on a commit line (nil on lines written before checksums).
    var checksum: UInt32?

    static let checksumPrefix = Array(",\"crc32c\":\"".utf8)
    static let batchPrefix = Array("{\"batch\":".utf8)

    static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
    static let commitPrefix = Array(",\"commit\":".utf8)
    static let logPrefix = Array(",\"op\":\"log\",\"entry\":".utf8)
    static let putPrefix = Array(",\"op\":\"put\",\"id\":\"".utf8)
    static let deletePrefix = Array(",\"op\":\"delete\",\"id\":\"".utf8)

    static func starts(_ line: UnsafeBufferPointer<UInt8>, at k: Int, with prefix: [UInt8]) -> Bool {
        guard k + prefix.count <= line.count else { return false }
        for j in 0..<prefix.count where line[k + j] != prefix[j] { return false }
        return true
    }

    init?(_ line: UnsafeBufferPointer<UInt8>) {
        guard Self.starts(line, at: 0, with: Self.batchPrefix), line.last == UInt8(ascii: "}") else { return nil }
        var k = Self.batchPrefix.count
        var n = 0
        guard k < line.count, ValueFormats.isDigit(line[k]) else { return nil }
        while k < line.count, ValueFormats.isDigit(line[k]) {
            n = n * 10 + Int(line[k] - 0x30)
            k += 1
        }
        batch = n
        if Self.starts(line, at: k, with: Self.commitPrefix) {
            var count = 0
            var j = k + Self.commitPrefix.count
            guard j < line.count - 1, ValueFormats.isDigit(line[j]) else { return nil }
            while j < line.count - 1, ValueFormats.isDigit(line[j]) {
                count = count * 10 + Int(line[j] - 0x30)
                j += 1
            }
            commit = count
            // Batches written before checksums end at the count.
            guard j < line.count - 1 else { return }
            guard Self.starts(line, at: j, with: Self.checksumPrefix),
                line.count - 1 == j + Self.checksumPrefix.count + 9,
                line[line.count - 2] == UInt8(ascii: "\"")
            else { return nil }
            var value: UInt32 = 0
            for b in line[(j + Self.checksumPrefix.count)..<(line.count - 2)] {
                guard let digit = Self.hexDigit(b) else { return nil }
                value = value << 4 | UInt32(digit)
            }
            checksum = value
            return
        }
        if Self.starts(line, at: k, with: Self.logPrefix) {
            isLog = true
            return
        }
        let isPut = Self.starts(line, at: k, with: Self.putPrefix)
        guard isPut || Self.starts(line, at: k, with: Self.deletePrefix) else { return nil }
        isDelete = !isPut
        // The id is a JSON string of safe characters: read up to its closing quote.
        let idStart = k + (isPut ? Self.putPrefix.count : Self.deletePrefix.count)
        var idEnd = idStart
        while idEnd < line.count, line[idEnd] != UInt8(ascii: "\"") { idEnd += 1 }
        guard idEnd < line.count else { return nil }
        id = String(decoding: UnsafeBufferPointer(rebasing: line[idStart..<idEnd]), as: UTF8.self)
    }
}

/// Which file a path named when it was read (a file replaced under the same name is another).
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
