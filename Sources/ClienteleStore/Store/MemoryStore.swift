import ClienteleCore
import Dispatch

/// A store that keeps everything in memory: the same contract as the JSON-file
/// store (`CustomerStore`), nothing on disk. It serves tests of the use cases and
/// trials of a config, and shows what a backend has to provide.
///
/// Documents are kept as the compact JSON bytes a file store would write, so
/// everything above the store reads them the same way.
package final class MemoryStore: CustomerStore {
    package let location: String

    /// A stored document and the batch that wrote it last.
    private struct Stored {
        var bytes: [UInt8]
        var written: Int
    }

    private var documents: [String: Stored] = [:]
    /// Ids of deleted customers: never used again.
    private var retired: Set<String> = []
    /// Every put or delete, in the order written, with its batch.
    private var writes: [(batch: Int, id: String)] = []
    private var log: [JSONValue] = []
    private var versions: [Int: AppliedVersion] = [:]
    private var numbers: [String: Int] = [:]
    private var caches: [String: (key: String, position: StorePosition, body: [UInt8])] = [:]
    private var backups: [String: String] = [:]
    private var batches = 0

    package private(set) var version: AppliedVersion?
    package var isWriter: Bool { openedToWrite || writing }
    private let openedToWrite: Bool
    private var writing = false
    private var keys: [UInt8]?

    /// An empty store, opened to write; `location` names it in messages.
    package init(location: String = "memory") {
        self.location = location
        openedToWrite = true
    }

    /// What this store holds now, as a store opened to read: it refuses every
    /// write, as a file store opened without its lock does.
    package func openedToRead() -> MemoryStore {
        let reader = MemoryStore(location: location, isWriter: false)
        reader.documents = documents
        reader.retired = retired
        reader.writes = writes
        reader.log = log
        reader.versions = versions
        reader.numbers = numbers
        reader.caches = caches
        reader.backups = backups
        reader.batches = batches
        reader.recordCount = recordCount
        reader.version = version
        reader.keys = keys
        return reader
    }

    private init(location: String, isWriter: Bool) {
        self.location = location
        openedToWrite = isWriter
    }

    // MARK: Documents

    package var count: Int { documents.count - recordCount }
    package private(set) var recordCount = 0
    package var ids: [String] { orderedIds() }
    package func contains(_ id: String) -> Bool { !RecordKey.isRecord(id) && documents[id] != nil }
    package func isTaken(_ id: String) -> Bool {
        !RecordKey.isRecord(id) && (documents[id] != nil || retired.contains(id))
    }

    package func isRecordTaken(kind: String, id: String) -> Bool {
        let key = RecordKey.key(kind: kind, id: id)
        return documents[key] != nil || retired.contains(key)
    }

    /// A customer's document: a related record's key (`KIND:ID`) names no customer.
    package func document(_ id: String) throws(StoreError) -> JSONValue? {
        guard !RecordKey.isRecord(id), let stored = documents[id] else { return nil }
        return try Self.parse(stored.bytes)
    }

    package func forEachDocument(_ body: (UnsafeBufferPointer<UInt8>) -> Void) throws(StoreError) {
        for id in orderedIds() { documents[id]!.bytes.withUnsafeBufferPointer(body) }
    }

    package func record(kind: String, id: String) throws(StoreError) -> JSONValue? {
        guard let stored = documents[RecordKey.key(kind: kind, id: id)] else { return nil }
        return try Self.parse(stored.bytes)
    }

    package func forEachRecord(
        kind: String?, _ body: (_ kind: String, _ id: String, UnsafeBufferPointer<UInt8>) -> Void
    ) throws(StoreError) {
        for key in orderedIds(records: true) {
            guard let (k, id) = RecordKey.split(key), kind == nil || kind == k else { continue }
            documents[key]!.bytes.withUnsafeBufferPointer { body(k, id, $0) }
        }
    }

    package func forEachDocumentConcurrently(workers: Int, _ body: @Sendable (Int, UnsafeBufferPointer<UInt8>) -> Void)
        throws(StoreError)
    {
        let all = orderedIds().map { documents[$0]!.bytes }
        let workers = max(1, min(workers, all.count))
        let shares = (0..<workers).map { w in Array(all[(all.count * w / workers)..<(all.count * (w + 1) / workers)]) }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for bytes in shares[w] { bytes.withUnsafeBufferPointer { body(w, $0) } }
        }
    }

    /// Customer ids (or related records' keys) in the order their current documents were
    /// written, as a log would hold them.
    private func orderedIds(records: Bool = false) -> [String] {
        documents.filter { RecordKey.isRecord($0.key) == records }
            .sorted { ($0.value.written, $0.key) < ($1.value.written, $1.key) }.map(\.key)
    }

    // MARK: Batches

    package func commit(_ operations: [StoreOperation]) throws(StoreError) {
        try refuseUnlessWriter()
        guard !operations.isEmpty else { return }
        for op in operations {
            if let id = op.id, !Self.isValidId(id) { throw Self.invalidId(id) }
        }
        // Everything is checked before anything changes: the batch is all or nothing.
        var encoded: [String: [UInt8]] = [:]
        for case .put(let id, let document) in operations { encoded[id] = Array(document.jsonText.utf8) }
        batches += 1
        for op in operations {
            switch op {
            case .put(let id, _): put(id, encoded[id]!)
            case .delete(let id): delete(id)
            case .log(let entry): log.append(entry)
            }
        }
    }

    package func commitStreaming(
        _ produce: (_ put: (String, UnsafeBufferPointer<UInt8>) throws -> Void, _ log: (JSONValue) throws -> Void)
            throws -> Void
    ) throws {
        try refuseUnlessWriter()
        var puts: [(String, [UInt8])] = []
        var entries: [JSONValue] = []
        try produce(
            { id, bytes in
                guard Self.isValidId(id) else { throw Self.invalidId(id) }
                // Stored as given, as a file store writes them (the caller built them from checked rows).
                puts.append((id, Array(bytes)))
            }, { entries.append($0) })
        guard !puts.isEmpty || !entries.isEmpty else { return }
        batches += 1
        for (id, bytes) in puts { put(id, bytes) }
        log += entries
    }

    private func put(_ id: String, _ bytes: [UInt8]) {
        if documents[id] == nil, RecordKey.isRecord(id) { recordCount += 1 }
        documents[id] = Stored(bytes: bytes, written: writes.count)
        writes.append((batches, id))
        noteNumber(id)
    }

    private func delete(_ id: String) {
        // As in the file store: the id is retired even when nothing was stored under it.
        if documents.removeValue(forKey: id) != nil, RecordKey.isRecord(id) { recordCount -= 1 }
        retired.insert(id)
        writes.append((batches, id))
        noteNumber(id)
    }

    // MARK: The customer log

    package func logEntries(type: String? = nil, actor: String? = nil) throws(StoreError) -> [JSONValue] {
        log.filter { entry in
            (type == nil || entry["type"]?.stringValue == type)
                && (actor == nil || entry["actor"]?.stringValue == actor)
        }
    }

    // MARK: Config versions

    package func readVersion(_ number: Int) throws(StoreError) -> AppliedVersion {
        guard let version = versions[number] else {
            throw StoreError("the applied config version \(number) is missing from \(location)")
        }
        return version
    }

    package func versionEntries() throws(StoreError) -> [JSONValue] {
        log.filter {
            $0["type"]?.stringValue == "apply" && $0["customers"] == .array([]) && $0["config_version"] != nil
        }
    }

    package func applyVersion(_ version: AppliedVersion, extra: [(String, JSONValue)], operations: [StoreOperation])
        throws(StoreError)
    {
        try refuseUnlessWriter()
        try commit(operations + [.log(entry: version.logEntry(extra: extra))])
        versions[version.number] = version
        self.version = version
    }

    // MARK: Numbering

    package func highestNumber(prefix: String) -> Int { numbers[prefix] ?? 0 }

    /// Keeps `numbers` up to date with an id in use: letters, then a number (P000042).
    private func noteNumber(_ key: String) {
        // A related record is numbered by its id, without its kind.
        let id = RecordKey.split(key)?.id ?? key
        let digits = id.utf8.reversed().prefix { ValueFormats.isDigit($0) }.count
        guard digits > 0, digits <= 18, id.utf8.dropLast(digits).allSatisfy({ !ValueFormats.isDigit($0) }),
            let number = Int(String(id.suffix(digits)))
        else { return }
        let prefix = String(id.dropLast(digits))
        if number > numbers[prefix, default: 0] { numbers[prefix] = number }
    }

    // MARK: Caches

    package var end: StorePosition { StorePosition(segment: 1, offset: writes.count, batch: batches) }

    package func idsWritten(after position: StorePosition) throws(StoreError) -> [String] {
        guard position.offset <= writes.count else {
            throw StoreError("\(location) has no position \(position.offset)")
        }
        return writes[position.offset...].map(\.id).filter { !RecordKey.isRecord($0) }
    }

    package func forEachDocument(
        of ids: [String], writtenAfter position: StorePosition, _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) throws(StoreError) {
        var seen: Set<String> = []
        for id in ids where seen.insert(id).inserted {
            guard let stored = documents[id], stored.written >= position.offset else { continue }
            stored.bytes.withUnsafeBufferPointer(body)
        }
    }

    package func readCache<R>(_ name: String, key: String, _ restore: (UnsafeRawBufferPointer) -> R?) -> (
        value: R, position: StorePosition
    )? {
        guard let cache = caches[name], cache.key == key, cache.position.offset <= writes.count else { return nil }
        return cache.body.withUnsafeBytes { restore($0) }.map { ($0, cache.position) }
    }

    package func saveCache(_ name: String, key: String, body: [UInt8]) {
        caches[name] = (key, end, body)
    }

    package func uniqueValues(
        layout: String, keys: @Sendable (UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])?
    ) throws(StoreError) -> UniqueValues {
        try UniqueValues.fromDocuments(store: self, keys: keys)
    }

    // MARK: Backups

    // MARK: Sharing and keys

    /// Nothing else writes to a memory store: there is never anything to catch up with.
    package func refresh() throws(StoreError) -> Bool { false }

    package func beginWriting(as holder: String, timeout: Double) throws(StoreError) {
        if !openedToWrite { writing = true }
    }

    package func endWriting() throws(StoreError) { writing = false }

    package func readKeys() throws(StoreError) -> [UInt8]? { keys }

    package func saveKeys(_ bytes: [UInt8]) throws(StoreError) {
        try refuseUnlessWriter()
        keys = bytes
    }

    package func saveBackup(_ name: String, text: String) throws(StoreError) -> String {
        try refuseUnlessWriter()
        backups[name] = text
        return location + "/backups/" + name
    }

    /// What `saveBackup` kept under `name`.
    package func backup(_ name: String) -> String? { backups[name] }

    // MARK: Checks

    private static func isValidId(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { ValueFormats.isRecordId($0) } || RecordKey.isValid(id)
    }

    private static func invalidId(_ id: String) -> StoreError {
        StoreError("'\(id)' is not a valid record id (1 to 64 letters, digits, '-' or '_')")
    }

    private static func parse(_ bytes: [UInt8]) throws(StoreError) -> JSONValue {
        guard let value = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)) else {
            throw StoreError("a stored document is not valid JSON")
        }
        return value
    }
}
