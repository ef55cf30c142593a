import Foundation

/// The embedded document store: customer documents and the customer log in one
/// `DocumentLog` under `<store>/data/`, and each applied config version in
/// `<store>/versions/`. Writers hold the store's lock for as long as they are open.
public final class JSONFileStore {
    public let path: String
    let log: DocumentLog
    private let lock: StoreLock?
    /// The highest number used per id prefix (P, O, W, ...).
    private var numbers: [String: Int] = [:]

    /// The config version applied last, and the record of it.
    public private(set) var version: AppliedVersion?

    /// An applied config: its number, when and by whom, its files, and which
    /// main-table fields each package inherited when it was created.
    public struct AppliedVersion: Sendable {
        public var number: Int
        public var appliedAt: String
        public var appliedBy: String
        public var files: [(path: String, text: String)]
        public var inheritance: PackageInheritance
    }

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
    public static func open(path: String, writer: String?, timeout: Double = 10, caches: Bool = true) throws(StoreError) -> JSONFileStore {
        // The store's own folder may be reached through a link the config names; nothing inside it is.
        let path = realpath(path, nil).map { real in defer { free(real) }; return String(cString: real) } ?? path
        var lock: StoreLock?
        if let writer {
            try StoreError.ensureDirectory(path)
            lock = try StoreLock.acquire(in: path, holder: writer, timeout: timeout)
        } else if !FileManager.default.fileExists(atPath: path + "/data") {
            throw StoreError("there is no store at \(path) yet; run 'clientele apply' to create it")
        }
        // The access columns were made at a committed position: a log that ends before it lost committed batches.
        let made = SnapshotFile(path: path + "/index/customers.bin").position()
        let idIndex = path + "/index/ids.bin"
        let log = try DocumentLog.open(directory: path + "/data", recover: writer != nil, reaching: made, idIndex: idIndex)
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

    private func loadVersion() throws(StoreError) {
        guard let entry = try log.lastLogEntry(containing: Self.versionMarker, within: 1_024),
              case .number(let n)? = entry["config_version"], let latest = Int(n) else { return }
        version = try Self.readVersionFile(path: path, number: latest, checksum: entry["file_crc32c"]?.stringValue)
    }

    /// The record of an applied version, from `versions/`.
    /// The file is checked against the checksum its apply entry recorded, as for the applied one.
    public func readVersion(_ number: Int) throws(StoreError) -> AppliedVersion {
        let entry = try versionEntries().last { $0["config_version"].flatMap { Int($0.jsonText) } == number }
        return try Self.readVersionFile(path: path, number: number, checksum: entry?["file_crc32c"]?.stringValue)
    }

    /// `checksum`: what the version's log entry recorded (entries written before
    /// checksums have none); a file that does not match it is refused.
    static func readVersionFile(path: String, number: Int, checksum: String? = nil) throws(StoreError) -> AppliedVersion {
        let file = versionPath(path, number)
        try StoreError.requireFolder(path + "/versions")
        guard let mapped = try? MappedFile(path: file, followLinks: false), let text = String(validating: mapped.bytes, as: UTF8.self),
              let json = try? JSONValue.parse(text) else {
            throw StoreError("the applied config version \(number) is missing or unreadable at \(file)")
        }
        if let checksum, fileChecksum(Checksum.crc32c(mapped.bytes)).1.stringValue != checksum {
            throw StoreError("\(file) does not match the checksum its apply entry recorded: the applied config was changed on disk; the store's data is damaged, and nothing was changed")
        }
        var files: [(path: String, text: String)] = []
        if case .object(let members)? = json["files"] {
            files = members.compactMap { key, value in value.stringValue.map { (key, $0) } }
        }
        var inherited: [String: Set<String>] = [:]
        if case .object(let members)? = json["inherited"] {
            for (package, list) in members {
                if case .array(let items) = list { inherited[package] = Set(items.compactMap(\.stringValue)) }
            }
        }
        return AppliedVersion(number: number, appliedAt: json["applied_at"]?.stringValue ?? "", appliedBy: json["applied_by"]?.stringValue ?? "",
                              files: files, inheritance: PackageInheritance(inherited: inherited))
    }

    /// Every applied version's log entry, oldest first.
    public func versionEntries() throws(StoreError) -> [JSONValue] {
        try log.logEntries(containing: Self.versionMarker)
    }

    func versionPath(_ n: Int) -> String { Self.versionPath(path, n) }

    static func versionPath(_ path: String, _ n: Int) -> String {
        let s = String(n)
        return path + "/versions/" + String(repeating: "0", count: max(0, 6 - s.count)) + s + ".json"
    }

    /// Records the first applied version: the config's files and what each package
    /// inherited (every main-table field of its team and table, those of this version
    /// included). Later versions belong to plan and apply.
    public func applyFirst(_ config: CompiledConfig, files: [(path: String, text: String)], by actor: String, at time: String) throws(StoreError) {
        guard version == nil else {
            throw StoreError("this store already holds config version \(version!.number); applying changes to an applied config needs 'clientele plan' and 'apply' of a later release")
        }
        // Customers but no applied version: the entry that recorded it is lost, and a first apply would skip the plan.
        guard log.count == 0 else {
            throw StoreError("this store holds \(log.count) customers but no applied config version; run 'clientele store repair', which records the version again from versions/")
        }
        var inherited: [String: Set<String>] = [:]
        let schema = config.model.schema
        for p in schema.packages where p.module == .campaign {
            let fields = schema.customizations.filter { $0.team == p.team && $0.table == p.table && $0.origin == .mainTable }.flatMap(\.identities)
            inherited[p.id] = Set(fields)
        }
        let checksum = try writeVersion(1, files: files, inheritance: PackageInheritance(inherited: inherited), by: actor, at: time, extra: [])
        try log.commit([.log(entry: Self.versionEntry(1, by: actor, at: time, extra: [Self.fileChecksum(checksum)]))])
        try loadVersion()
    }

    /// Writes `versions/N.json`; the version counts as applied once its log entry is
    /// committed, with the file's checksum (`fileChecksum`), so a changed byte in the
    /// file is found when the store opens. Returns the checksum.
    @discardableResult
    public func writeVersion(_ number: Int, files: [(path: String, text: String)], inheritance: PackageInheritance, by actor: String, at time: String,
                             extra: [(String, JSONValue)]) throws(StoreError) -> UInt32 {
        let inherited = inheritance.inherited.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.array($0.value.sorted().map(JSONValue.string))) }
        let record: JSONValue = .object([
            ("version", .number(String(number))), ("applied_at", .string(time)), ("applied_by", .string(actor)),
            ("files", .object(files.map { ($0.path, .string($0.text)) })), ("inherited", .object(inherited)),
        ] + extra)
        let bytes = Array((record.jsonText + "\n").utf8)
        try Self.writeFile(bytes, to: versionPath(number))
        return bytes.withUnsafeBufferPointer { Checksum.crc32c($0) }
    }

    /// The member of a version's log entry that holds its file's checksum.
    public static func fileChecksum(_ checksum: UInt32) -> (String, JSONValue) {
        let hex = String(checksum, radix: 16)
        return ("file_crc32c", .string(String(repeating: "0", count: 8 - hex.count) + hex))
    }

    /// The log entry that marks a version applied (its line holds `versionMarker`).
    public static func versionEntry(_ number: Int, by actor: String, at time: String, extra: [(String, JSONValue)]) -> JSONValue {
        .object([
            ("time", .string(time)), ("actor", .string(actor)), ("type", .string("apply")), ("customers", .array([])),
            ("changes", .array([])), ("reason", .null), ("config_version", .number(String(number))),
        ] + extra)
    }

    /// Commits a version's migration and its log entry as one batch, then reads the version back.
    public func commitVersion(_ operations: [DocumentLog.Operation]) throws(StoreError) {
        try commit(operations)
        try loadVersion()
    }

    /// Writes a whole file so that a crash leaves the old one or the new one.
    func writeAtomically(_ text: String, to file: String) throws(StoreError) {
        try Self.writeFile(Array(text.utf8), to: file)
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
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// The next free id of a table: its prefix and the next number, zero-padded.
    public func nextId(_ numbering: Numbering) -> String {
        var n = (numbers[numbering.prefix] ?? 0) + 1
        while isTaken(numbering.format(n)) { n += 1 }
        return numbering.format(n)
    }

    /// Keeps `numbers` up to date with an id in use: letters, then a number (P000042).
    private func noteNumber(_ id: String) {
        var id = id
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
    public func highestNumber(prefix: String) -> Int { numbers[prefix] ?? 0 }

    public func document(_ id: String) throws(StoreError) -> JSONValue? {
        try log.document(id)
    }

    public func logEntries() throws(StoreError) -> [JSONValue] {
        try log.logEntries()
    }

    public var ids: [String] { log.ids }
    /// Whether a customer has, or had, this id (a deleted customer's id is never used again).
    public func isTaken(_ id: String) -> Bool { log.contains(id) || log.isRetired(id) }
    public func contains(_ id: String) -> Bool { log.contains(id) }

    /// Every customer, loaded into a table for the access engine.
    ///
    /// The table of the policy's own columns is also kept beside the log
    /// (`index/customers.bin`), so that opening a large store reads it back instead
    /// of parsing every document: the documents written since are applied on top,
    /// and the snapshot is written again when it is missing, made for another config
    /// (other users, fields, ...), damaged, or far behind the log.
    public func customerTable(for policy: AccessPolicy, fieldIdentities: [String]? = nil) throws(StoreError) -> CustomerTable {
        let table = CustomerTable(org: policy.org, fieldIdentities: fieldIdentities ?? policy.fieldIdentities)
        guard fieldIdentities == nil || fieldIdentities == policy.fieldIdentities else {
            try log.forEachDocument { table.addDocument($0) }
            return table
        }
        let key = table.layoutKey
        let snapshot = SnapshotFile(path: path + "/index/customers.bin")
        let restored = snapshot.read(key: key, log: log) { body, position -> (CustomerTable, DocumentLog.Position)? in
            guard let table = CustomerTable.restore(body, org: policy.org, fieldIdentities: policy.fieldIdentities) else { return nil }
            return (table, position)
        }
        guard let (base, position) = restored else {
            try log.forEachDocument { table.addDocument($0) }
            if writesCaches { snapshot.save(key: key, log: log, body: table.snapshot()) }
            return table
        }
        guard position != log.end else { return base }
        // Rows put again or deleted since the snapshot are dropped, then whatever was written since is added.
        let written = try log.idsWritten(after: position)
        let touched = Set(written)
        let dropped = touched.isEmpty ? [] : (0..<base.count).filter { touched.contains(base.ids[$0]) }
        // A few rows are taken out in place (each moves the rows after it); more, by copying the rest.
        let inPlace = dropped.count <= 16
        let current = inPlace ? base : base.keepingRows { !touched.contains(base.ids[$0]) }
        if inPlace { base.removeRows(dropped) }
        try log.forEachDocument(of: written, writtenAfter: position) { current.addDocument($0) }
        if writesCaches, written.count > 1_000 + current.count / 16 { snapshot.save(key: key, log: log, body: current.snapshot()) }
        return current
    }

    /// Every customer, parsed from the documents, without reading or writing the
    /// snapshot (for a policy that is not applied yet).
    public func customerTableFromDocuments(for policy: AccessPolicy) throws(StoreError) -> CustomerTable {
        let table = policy.makeCustomerTable()
        try log.forEachDocument { table.addDocument($0) }
        return table
    }

    private var unique: (layout: String, values: UniqueValues)?

    /// The values of unique fields held by the stored customers (`index/unique.bin`
    /// and the documents written since), for the unique fields `layout` describes;
    /// `keys` gives a document's id and keys.
    public func uniqueValues(layout: String, keys: @Sendable (UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])?) throws(StoreError) -> UniqueValues {
        if let unique, unique.layout == layout { return unique.values }
        let values = try UniqueValues.load(store: self, layout: layout, keys: keys)
        unique = (layout, values)
        return values
    }

    /// Streams one large batch (an import; see `DocumentLog.commitStreaming`), keeping
    /// what this store knows of numbers and unique values up to date.
    public func commitStreaming(_ produce: (_ put: (String, UnsafeBufferPointer<UInt8>) throws -> Void, _ log: (JSONValue) throws -> Void) throws -> Void) throws {
        unique = nil
        var written: [String] = []
        try log.commitStreaming { put, entry in
            try withoutActuallyEscaping(put) { put in
                try withoutActuallyEscaping(entry) { entry in
                    try produce({ id, document in
                        try put(id, document)
                        written.append(id)
                    }, entry)
                }
            }
        }
        for id in written { noteNumber(id) }
    }

    /// Commits documents and log entries as one batch; all or nothing.
    public func commit(_ operations: [DocumentLog.Operation]) throws(StoreError) {
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
