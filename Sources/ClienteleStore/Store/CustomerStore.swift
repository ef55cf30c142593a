import ClienteleCore

/// What the use cases of `ClienteleKit` need from a store, and all they may use:
/// customer documents, batches that commit all or nothing, the customer log, the
/// applied config versions, numbering, caches kept beside the data, and backups.
///
/// `JSONFileStore` (files under the store folder) and `MemoryStore` (nothing on
/// disk; tests and trials) implement it, and both pass the same contract tests
/// (`StoreContractTests`). A second backend (a database) implements it too; how
/// one is opened (paths, URLs, locks) is its own business, and the use cases work
/// on it unchanged.
///
/// One value serves one command or one request at a time; a writer opens it as
/// the only writer of the store (the file store holds a lock for that). A process
/// that stays up (the service) opens it to read, catches up with what other
/// processes commit (`refresh`), and becomes the writer for one batch at a time
/// (`beginWriting`, `endWriting`).
package protocol CustomerStore: AnyObject {
    /// Where the store is, for messages (a folder, a database without its password).
    var location: String { get }

    // MARK: Documents

    /// How many customers the store holds.
    var count: Int { get }
    /// The ids of the stored customers.
    var ids: [String] { get }
    /// Whether a customer with this id is stored now.
    func contains(_ id: String) -> Bool
    /// Whether a customer has, or had, this id (a deleted customer's id is never used again).
    func isTaken(_ id: String) -> Bool
    /// A customer's current document; nil when there is none.
    func document(_ id: String) throws(StoreError) -> JSONValue?
    /// Every stored customer document's bytes (compact JSON), in the order written.
    func forEachDocument(_ body: (UnsafeBufferPointer<UInt8>) -> Void) throws(StoreError)
    /// The same on `workers` threads, each given a contiguous share (its number is the
    /// first argument); the shares, in order, are the order written.
    func forEachDocumentConcurrently(workers: Int, _ body: @Sendable (Int, UnsafeBufferPointer<UInt8>) -> Void)
        throws(StoreError)

    // MARK: Records related to customers

    /// How many related records (contacts, orders, ...) the store holds, of every kind.
    /// They are kept apart from the customers: no walk over customers meets them.
    var recordCount: Int { get }
    /// A related record's current document; nil when there is none. (`StoreOperation.putRecord`
    /// and `deleteRecord` write them. The customer calls, `document`, `contains` and
    /// `isTaken`, never answer for a record's key.)
    func record(kind: String, id: String) throws(StoreError) -> JSONValue?
    /// Whether a record of `kind` has, or had, this id (a deleted record's id is never used again).
    func isRecordTaken(kind: String, id: String) -> Bool
    /// Every stored record of `kind` (of every kind when nil): its kind, id and document
    /// bytes, in the order written.
    func forEachRecord(kind: String?, _ body: (_ kind: String, _ id: String, UnsafeBufferPointer<UInt8>) -> Void)
        throws(StoreError)

    // MARK: Batches

    /// Whether the store was opened to write (holding what keeps other writers out).
    /// A store opened to read refuses every write (`commit`, `commitStreaming`,
    /// `applyVersion`, `saveBackup`) and changes nothing; only its caches, which
    /// are made from what it holds, may still be kept.
    var isWriter: Bool { get }
    /// Commits documents and log entries as one batch: all of it, or nothing.
    func commit(_ operations: [StoreOperation]) throws(StoreError)
    /// One large batch (an import) whose documents arrive as compact JSON bytes:
    /// `produce` calls `put` for each document and `log` for each log entry, and
    /// the batch commits when it returns (nothing of it when it throws).
    func commitStreaming(
        _ produce: (_ put: (String, UnsafeBufferPointer<UInt8>) throws -> Void, _ log: (JSONValue) throws -> Void)
            throws -> Void) throws

    // MARK: The customer log

    /// The entries of the customer log, oldest first: all of them, or those of one
    /// `type` ("claim", "apply", ...) and, when given, one `actor`.
    func logEntries(type: String?, actor: String?) throws(StoreError) -> [JSONValue]

    // MARK: Config versions

    /// The config version applied last; nil before the first apply.
    var version: AppliedVersion? { get }
    /// An applied version's record, checked as the applied one is.
    func readVersion(_ number: Int) throws(StoreError) -> AppliedVersion
    /// Every applied version's log entry, oldest first.
    func versionEntries() throws(StoreError) -> [JSONValue]
    /// Records `version` as applied, with `operations` (its migration) and its log
    /// entry (with `extra` members) in one batch: the store is at the old version or
    /// at the new one, never between.
    func applyVersion(_ version: AppliedVersion, extra: [(String, JSONValue)], operations: [StoreOperation])
        throws(StoreError)

    // MARK: Numbering

    /// The highest number in use after `prefix` (0 when none is), deleted customers' included.
    func highestNumber(prefix: String) -> Int

    // MARK: Caches

    /// The position just after the last committed batch.
    var end: StorePosition { get }
    /// The ids of the customers put or deleted after `position`, in the order written.
    func idsWritten(after position: StorePosition) throws(StoreError) -> [String]
    /// The current documents of `ids` that were written after `position`.
    func forEachDocument(
        of ids: [String], writtenAfter position: StorePosition, _ body: (UnsafeBufferPointer<UInt8>) -> Void)
        throws(StoreError)
    /// The cache `name`, when it was made for `key` at a position of this store
    /// that is still in its history: `restore` reads its body.
    func readCache<R>(_ name: String, key: String, _ restore: (UnsafeRawBufferPointer) -> R?) -> (
        value: R, position: StorePosition
    )?
    /// Keeps `body` as the cache `name` for `key`, made at the end of the store
    /// (nothing, when the store was opened to write no caches).
    func saveCache(_ name: String, key: String, body: [UInt8])
    /// The values of unique fields held by the stored customers, for the unique
    /// fields `layout` describes; `keys` gives a document's id and keys.
    func uniqueValues(layout: String, keys: @Sendable (UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])?)
        throws(StoreError) -> UniqueValues

    // MARK: Sharing the store with other processes

    /// Catches up with the batches other writers committed since this value was
    /// opened or last refreshed; returns whether there were any. Throws when the
    /// store changed in a way that cannot be caught up with (a repair cut batches
    /// out): then it must be opened again.
    func refresh() throws(StoreError) -> Bool
    /// Makes a store opened to read the store's only writer until `endWriting`:
    /// waits up to `timeout` seconds for what keeps other writers out, then catches
    /// up with what they committed. On a store opened to write, it does nothing.
    func beginWriting(as holder: String, timeout: Double) throws(StoreError)
    /// Lets other writers in again after `beginWriting` (nothing on a store opened to
    /// write). The batches committed in between may reach the disk together here (one
    /// fsync for the group): they are durable when it returns, and in doubt when it throws.
    func endWriting() throws(StoreError)

    // MARK: Service keys

    /// The service's keys as stored (hashes, never a key): nil when none was ever made.
    func readKeys() throws(StoreError) -> [UInt8]?
    /// Replaces the stored keys, durably (a writer only).
    func saveKeys(_ bytes: [UInt8]) throws(StoreError)

    // MARK: Backups

    /// Keeps `text` (JSON lines of what a change removed) under `name`; returns
    /// where it is, for the user.
    func saveBackup(_ name: String, text: String) throws(StoreError) -> String
}

extension CustomerStore {
    /// Throws unless the store was opened to write.
    package func refuseUnlessWriter() throws(StoreError) {
        guard isWriter else {
            throw StoreError(
                "the store at \(location) was opened to read: writing needs it opened to write, with its lock")
        }
    }

    /// Every entry of the customer log, oldest first.
    package func logEntries() throws(StoreError) -> [JSONValue] { try logEntries(type: nil, actor: nil) }

    /// Identifies the stored data: it changes with every committed write.
    package var dataHash: String {
        let e = end
        return "\(e.segment)-\(e.offset)-\(e.batch)"
    }
}

/// An applied config: its number, when and by whom, its files, and which
/// main-table fields each package inherited when it was created.
package struct AppliedVersion: Sendable {
    package var number: Int
    package var appliedAt: String
    package var appliedBy: String
    /// The config's files (path relative to the config directory, and text).
    package var files: [(path: String, text: String)]
    /// Which main-table fields each package inherited when it was created:
    /// package id -> field identities (a package missing here inherited them all).
    package var inherited: [String: Set<String>]

    package init(
        number: Int, appliedAt: String, appliedBy: String, files: [(path: String, text: String)],
        inherited: [String: Set<String>]
    ) {
        self.number = number
        self.appliedAt = appliedAt
        self.appliedBy = appliedBy
        self.files = files
        self.inherited = inherited
    }

    /// The log entry that marks this version applied; `extra` adds members.
    package func logEntry(extra: [(String, JSONValue)]) -> JSONValue {
        .object(
            [
                ("time", .string(appliedAt)), ("actor", .string(appliedBy)), ("type", .string("apply")),
                ("customers", .array([])),
                ("changes", .array([])), ("reason", .null), ("config_version", .number(String(number))),
            ] + extra)
    }

    /// The version's record as stored: number, time, actor, files, inheritance, and `extra`.
    package func record(extra: [(String, JSONValue)]) -> JSONValue {
        let inherited = inherited.sorted { $0.key < $1.key }.map {
            ($0.key, JSONValue.array($0.value.sorted().map(JSONValue.string)))
        }
        return .object(
            [
                ("version", .number(String(number))), ("applied_at", .string(appliedAt)),
                ("applied_by", .string(appliedBy)),
                ("files", .object(files.map { ($0.path, .string($0.text)) })), ("inherited", .object(inherited)),
            ] + extra)
    }

    /// Reads a stored record (what `record(extra:)` wrote); nil when it is not one.
    package static func fromRecord(_ json: JSONValue, number: Int) -> AppliedVersion? {
        guard case .object = json else { return nil }
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
        return AppliedVersion(
            number: number, appliedAt: json["applied_at"]?.stringValue ?? "",
            appliedBy: json["applied_by"]?.stringValue ?? "",
            files: files, inherited: inherited)
    }
}
