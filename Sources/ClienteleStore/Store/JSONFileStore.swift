import ClienteleCore
import Foundation

/// The embedded document store: customer documents and the customer log in one
/// `DocumentLog` under `<store>/data/`, and each applied config version in
/// `<store>/versions/`. Writers hold the store's lock for as long as they are open.
package final class JSONFileStore: CustomerStore {
    package let path: String
    package var location: String { path }
    package var isWriter: Bool { lock != nil }
    let log: DocumentLog
    private var lock: StoreLock?
    /// Whether the lock was taken by `beginWriting` (and is let go by `endWriting`).
    private var lockIsBorrowed = false
    /// The highest number used per id prefix (P, O, W, ...).
    private var numbers: [String: Int] = [:]

    /// The config version applied last, and the record of it.
    package private(set) var version: AppliedVersion?

    /// Whether this process writes the caches of `index/` when they are missing or
    /// behind (every command but `store verify`, which changes nothing).
    let writesCaches: Bool

    private init(path: String, log: DocumentLog, lock: StoreLock?, writesCaches: Bool) {
        self.path = path
        self.log = log
        self.lock = lock
        self.writesCaches = writesCaches
    }

    /// Opens the store; `writer` names the command when it means to write (it then
    /// waits up to `timeout` seconds for the lock and recovers an unfinished batch).
    /// `caches`: write the caches of `index/` when they are missing or behind.
    package static func open(path: String, writer: String?, timeout: Double = 10, caches: Bool = true)
        throws(StoreError) -> JSONFileStore
    {
        // The store's own folder may be reached through a link the config names; nothing inside it is.
        let path =
            realpath(path, nil).map { real in
                defer { free(real) }
                return String(cString: real)
            } ?? path
        var lock: StoreLock?
        if let writer {
            try StoreError.ensureDirectory(path)
            lock = try StoreLock.acquire(in: path, holder: writer, timeout: timeout)
        } else if !FileManager.default.fileExists(atPath: path + "/data") {
            throw StoreError("there is no store at \(path) yet; run 'clientele apply' to create it")
        }
        // The access columns were made at a committed position: a log that ends before it lost committed batches.
        let made = SnapshotFile(path: path + "/index/" + accessColumnsCache + ".bin").position()
        let idIndex = path + "/index/ids.bin"
        let log = try DocumentLog.open(
            directory: path + "/data", recover: writer != nil, reaching: made, idIndex: idIndex)
        let store = JSONFileStore(path: path, log: log, lock: lock, writesCaches: caches)
        try store.loadVersion()
        // A deleted customer's number stays retired: a new customer never inherits its log.
        let (ids, numbers) = log.idsSinceStored
        store.numbers = numbers
        for id in ids { store.noteNumber(id) }
        // The next command reads only what was written after this point.
        if caches, log.idIndexIsBehind { log.saveIdIndex(path: idIndex, numbers: store.numbers) }
        return store
    }

    /// The line of a version's own log entry (an apply entry names no customers): the
    /// newest one says which version is applied. It is committed in the same batch as
    /// the documents the version migrated, so a version is applied all or not at all.
    static let versionMarker = "\"type\":\"apply\",\"customers\":[],"

    /// Whether a log entry is a version's own (an apply entry that names no customers).
    static func isVersionEntry(_ entry: JSONValue) -> Bool {
        entry["type"]?.stringValue == "apply" && entry["customers"] == .array([]) && entry["config_version"] != nil
    }

    private func loadVersion() throws(StoreError) {
        guard let entry = try log.lastLogEntry(containing: Self.versionMarker, within: 1_024),
            Self.isVersionEntry(entry),
            case .number(let n)? = entry["config_version"], let latest = Int(n)
        else { return }
        version = try Self.readVersionFile(path: path, number: latest, checksum: entry["file_crc32c"]?.stringValue)
    }

    /// The record of an applied version, from `versions/`.
    /// The file is checked against the checksum its apply entry recorded, as for the applied one.
    package func readVersion(_ number: Int) throws(StoreError) -> AppliedVersion {
        let entry = try versionEntries().last { $0["config_version"].flatMap { Int($0.jsonText) } == number }
        return try Self.readVersionFile(path: path, number: number, checksum: entry?["file_crc32c"]?.stringValue)
    }

    /// `checksum`: what the version's log entry recorded (entries written before
    /// checksums have none); a file that does not match it is refused.
    static func readVersionFile(path: String, number: Int, checksum: String? = nil) throws(StoreError) -> AppliedVersion
    {
        let file = versionPath(path, number)
        try StoreError.requireFolder(path + "/versions")
        guard let mapped = try? MappedFile(path: file, followLinks: false),
            let text = String(validating: mapped.bytes, as: UTF8.self),
            let json = try? JSONValue.parse(text)
        else {
            throw StoreError("the applied config version \(number) is missing or unreadable at \(file)", file: file)
        }
        if let checksum, fileChecksum(Checksum.crc32c(mapped.bytes)).1.stringValue != checksum {
            throw StoreError(
                "\(file) does not match the checksum its apply entry recorded: the applied config was changed on disk; the store's data is damaged, and nothing was changed",
                file: file)
        }
        guard let version = AppliedVersion.fromRecord(json, number: number) else {
            throw StoreError("the applied config version \(number) at \(file) is not a version record", file: file)
        }
        return version
    }

    /// Every applied version's log entry, oldest first.
    package func versionEntries() throws(StoreError) -> [JSONValue] {
        try log.logEntries(containing: Self.versionMarker).filter(Self.isVersionEntry)
    }

    func versionPath(_ n: Int) -> String { Self.versionPath(path, n) }

    static func versionPath(_ path: String, _ n: Int) -> String {
        let s = String(n)
        return path + "/versions/" + String(repeating: "0", count: max(0, 6 - s.count)) + s + ".json"
    }

    /// Writes `versions/N.json`, then commits `operations` and the version's log entry,
    /// which carries the file's checksum (`fileChecksum`), as one batch: the version
    /// counts as applied once that batch is committed, and a changed byte in the file
    /// is found when the store opens.
    package func applyVersion(_ version: AppliedVersion, extra: [(String, JSONValue)], operations: [StoreOperation])
        throws(StoreError)
    {
        try refuseUnlessWriter()
        let bytes = Array((version.record(extra: extra).jsonText + "\n").utf8)
        try Self.writeFile(bytes, to: versionPath(version.number))
        let checksum = bytes.withUnsafeBufferPointer { Checksum.crc32c($0) }
        try commit(operations + [.log(entry: version.logEntry(extra: extra + [Self.fileChecksum(checksum)]))])
        try loadVersion()
    }

    /// The member of a version's log entry that holds its file's checksum.
    static func fileChecksum(_ checksum: UInt32) -> (String, JSONValue) {
        let hex = String(checksum, radix: 16)
        return ("file_crc32c", .string(String(repeating: "0", count: 8 - hex.count) + hex))
    }

    /// The log entry that marks a version applied (its line holds `versionMarker`).
    static func versionEntry(_ number: Int, by actor: String, at time: String, extra: [(String, JSONValue)])
        -> JSONValue
    {
        AppliedVersion(number: number, appliedAt: time, appliedBy: actor, files: [], inherited: [:]).logEntry(
            extra: extra)
    }

    // MARK: Sharing the store with other processes

    /// Reads what other writers committed since this store was opened or refreshed.
    package func refresh() throws(StoreError) -> Bool {
        guard lock == nil else { return false }
        return try caughtUp(recover: false)
    }

    /// Takes the store's lock until `endWriting`, and reads what was committed before
    /// it. The batches committed until `endWriting` are made durable there, together.
    package func beginWriting(as holder: String, timeout: Double) throws(StoreError) {
        guard lock == nil else { return }
        lock = try StoreLock.acquire(in: path, holder: holder, timeout: timeout)
        lockIsBorrowed = true
        do {
            _ = try caughtUp(recover: true)
            try log.rollIfFull()
        } catch {
            try? endWriting()
            throw error
        }
        log.syncsLater = true
    }

    /// Makes the batches committed since `beginWriting` durable (one fsync), and lets go of its lock.
    package func endWriting() throws(StoreError) {
        guard lockIsBorrowed else { return }
        defer {
            lock = nil
            lockIsBorrowed = false
        }
        try log.closeWriter()
    }

    private func caughtUp(recover: Bool) throws(StoreError) -> Bool {
        let before = log.end
        guard try log.catchUp(recover: recover) else { return false }
        unique = nil
        for id in try log.idsWritten(after: before) { noteNumber(id) }
        // An apply committed by another process names the version this store now runs under.
        try loadVersion()
        return true
    }

    // MARK: Service keys

    var keysPath: String { path + "/keys.json" }

    /// `keys.json`: the service's keys, hashed.
    package func readKeys() throws(StoreError) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: keysPath) else { return nil }
        do {
            let mapped = try MappedFile(path: keysPath, followLinks: false)
            return withExtendedLifetime(mapped) { Array(mapped.bytes) }
        } catch {
            throw StoreError("cannot read the service keys at \(keysPath): \(error.description)", file: keysPath)
        }
    }

    /// Replaces `keys.json` (0600) so that a crash leaves the old file or the new one.
    package func saveKeys(_ bytes: [UInt8]) throws(StoreError) {
        try refuseUnlessWriter()
        try Self.writeFile(bytes, to: keysPath)
    }

    /// Writes `backups/NAME` so that a crash leaves the old file or the new one.
    package func saveBackup(_ name: String, text: String) throws(StoreError) -> String {
        try refuseUnlessWriter()
        let file = path + "/backups/" + name
        try Self.writeFile(Array(text.utf8), to: file)
        return file
    }

    /// Writes a whole file of the store (0600, never through a link) through a
    /// temporary file, fsynced and renamed, so that a crash leaves the old one or the new one.
    static func writeFile(_ bytes: [UInt8], to file: String) throws(StoreError) {
        let directory = (file as NSString).deletingLastPathComponent
        try StoreError.ensureDirectory(directory)
        let temporary = file + ".tmp"
        unlink(temporary)
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .system("cannot write", temporary) }
        guard FileWriting.writeAll(fd, bytes) else {
            let error = StoreError.system("cannot write", file)
            close(fd)
            unlink(temporary)
            throw error
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, file) == 0 else {
            unlink(temporary)
            throw .system("cannot write", file)
        }
        let dfd = Glibc.open(directory, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Keeps `numbers` up to date with an id in use: letters, then a number (P000042).
    /// A related record is numbered by its id, without its kind.
    private func noteNumber(_ key: String) {
        var id = RecordKey.split(key)?.id ?? key
        let parsed: (prefix: String, number: Int)? = id.withUTF8 { b in
            var k = 0
            while k < b.count, !ValueFormats.isDigit(b[k]) { k += 1 }
            guard k < b.count, b.count - k <= 18 else { return nil }
            var n = 0
            for j in k..<b.count {
                guard ValueFormats.isDigit(b[j]) else { return nil }
                n = n * 10 + Int(b[j] - 0x30)
            }
            return (String(decoding: UnsafeBufferPointer(rebasing: b[..<k]), as: UTF8.self), n)
        }
        guard let parsed, parsed.number > numbers[parsed.prefix, default: 0] else { return }
        numbers[parsed.prefix] = parsed.number
    }

    /// The highest number in use after `prefix` (0 when none is).
    package func highestNumber(prefix: String) -> Int { numbers[prefix] ?? 0 }

    /// A customer's document: a related record's key (`KIND:ID`) names no customer.
    package func document(_ id: String) throws(StoreError) -> JSONValue? {
        RecordKey.isRecord(id) ? nil : try log.document(id)
    }

    /// The entries of the customer log, oldest first: all of them, or those of one
    /// `type` ("claim", "apply", ...) and, when given, one `actor`.
    package func logEntries(type: String? = nil, actor: String? = nil) throws(StoreError) -> [JSONValue] {
        // Only the lines that hold the type as this store writes it are parsed; the parsed entry decides.
        let needle = type.map { "\"type\":" + JSONValue.string($0).jsonText }
        return try log.logEntries(containing: needle).filter { entry in
            (type == nil || entry["type"]?.stringValue == type)
                && (actor == nil || entry["actor"]?.stringValue == actor)
        }
    }

    package var ids: [String] { log.ids }
    /// Whether a customer has, or had, this id (a deleted customer's id is never used again).
    package func isTaken(_ id: String) -> Bool { !RecordKey.isRecord(id) && (log.contains(id) || log.isRetired(id)) }
    package func contains(_ id: String) -> Bool { !RecordKey.isRecord(id) && log.contains(id) }

    package func isRecordTaken(kind: String, id: String) -> Bool {
        let key = RecordKey.key(kind: kind, id: id)
        return log.contains(key) || log.isRetired(key)
    }

    /// The position just after the last committed batch.
    package var end: StorePosition { log.end }

    /// How many customers the store holds.
    package var count: Int { log.count }

    package var recordCount: Int { log.recordCount }

    package func record(kind: String, id: String) throws(StoreError) -> JSONValue? {
        RecordKey.isValid(RecordKey.key(kind: kind, id: id)) ? try log.document(RecordKey.key(kind: kind, id: id)) : nil
    }

    package func forEachRecord(
        kind: String?, _ body: (_ kind: String, _ id: String, UnsafeBufferPointer<UInt8>) -> Void
    ) throws(StoreError) {
        try log.forEachRecord(kind: kind) { key, bytes in
            if let (k, id) = RecordKey.split(key) { body(k, id, bytes) }
        }
    }

    /// Calls `body` with every stored customer document's bytes, in log order.
    package func forEachDocument(_ body: (UnsafeBufferPointer<UInt8>) -> Void) throws(StoreError) {
        try log.forEachDocument(body)
    }

    /// The same on `workers` threads, each given a contiguous share of the log (its
    /// number is the first argument); the shares are in log order.
    package func forEachDocumentConcurrently(workers: Int, _ body: @Sendable (Int, UnsafeBufferPointer<UInt8>) -> Void)
        throws(StoreError)
    {
        try log.forEachDocumentConcurrently(workers: workers, body)
    }

    /// The ids of the customers put or deleted after `position`, in the order written.
    package func idsWritten(after position: StorePosition) throws(StoreError) -> [String] {
        try log.idsWritten(after: position)
    }

    /// The current documents of `ids` that were written after `position`.
    package func forEachDocument(
        of ids: [String], writtenAfter position: StorePosition,
        _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) throws(StoreError) {
        try log.forEachDocument(of: ids, writtenAfter: position, body)
    }

    /// A cache kept beside the data (`index/NAME.bin`), when it was made for `key`
    /// at a committed position of this store: `restore` reads its body.
    package func readCache<R>(_ name: String, key: String, _ restore: (UnsafeRawBufferPointer) -> R?) -> (
        value: R, position: StorePosition
    )? {
        SnapshotFile(path: cachePath(name)).read(key: key, log: log) { body, position in
            restore(body).map { ($0, position) }
        }
    }

    /// Writes the cache `name` for `key` as of the end of the log, unless this store
    /// was opened to write no caches (`store verify`).
    package func saveCache(_ name: String, key: String, body: [UInt8]) {
        guard writesCaches else { return }
        _ = SnapshotFile(path: cachePath(name)).save(key: key, log: log, body: body)
    }

    /// The cache of the access columns (`index/customers.bin`): the position it was
    /// made at is checked when the store opens, since a log that ends before it lost
    /// committed batches.
    package static let accessColumnsCache = "customers"

    func cachePath(_ name: String) -> String { path + "/index/" + name + ".bin" }

    private var unique: (layout: String, values: UniqueValues)?

    /// The values of unique fields held by the stored customers (`index/unique.bin`
    /// and the documents written since), for the unique fields `layout` describes;
    /// `keys` gives a document's id and keys.
    package func uniqueValues(
        layout: String, keys: @Sendable (UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])?
    ) throws(StoreError) -> UniqueValues {
        if let unique, unique.layout == layout { return unique.values }
        let values = try UniqueValues.load(store: self, layout: layout, keys: keys)
        unique = (layout, values)
        return values
    }

    /// Streams one large batch (an import; see `DocumentLog.commitStreaming`), keeping
    /// what this store knows of numbers and unique values up to date.
    package func commitStreaming(
        _ produce: (_ put: (String, UnsafeBufferPointer<UInt8>) throws -> Void, _ log: (JSONValue) throws -> Void)
            throws -> Void
    ) throws {
        try refuseUnlessWriter()
        unique = nil
        var written: [String] = []
        try log.commitStreaming { put, entry in
            try withoutActuallyEscaping(put) { put in
                try withoutActuallyEscaping(entry) { entry in
                    try produce(
                        { id, document in
                            try put(id, document)
                            written.append(id)
                        }, entry)
                }
            }
        }
        for id in written { noteNumber(id) }
    }

    /// Commits documents and log entries as one batch; all or nothing.
    package func commit(_ operations: [StoreOperation]) throws(StoreError) {
        try refuseUnlessWriter()
        unique = nil
        try log.commit(operations)
        for op in operations {
            if case .put(let id, _) = op { noteNumber(id) }
            if case .delete(let id) = op { noteNumber(id) }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
