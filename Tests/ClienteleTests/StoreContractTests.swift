import ClienteleTestSupport
import Foundation
import Synchronization
import Testing

@testable import ClienteleCore
@testable import ClienteleStore

/// What every `CustomerStore` must do, run on each implementation: the JSON-file
/// store and the in-memory store give the same answers to the same calls.
@Suite("Every store keeps the store contract")
struct StoreContractTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case files, memory
        var testDescription: String { rawValue }
    }

    /// A fresh, empty store of `kind`, opened to write; `body` runs on it, and a
    /// file store's folder is removed afterwards.
    func withStore(_ kind: Kind, _ body: (any CustomerStore) throws -> Void) throws {
        switch kind {
        case .memory:
            try body(MemoryStore())
        case .files:
            let folder = Scratch.path("contract").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try body(JSONFileStore.open(path: folder, writer: "contract test"))
        }
    }

    func customer(_ name: String, owner: String = "U1") -> JSONValue {
        .object([
            ("id", .string("")), ("account_executive", .string(owner)), ("fields", .object([("name", .string(name))])),
        ])
    }

    func put(_ id: String, _ name: String) -> StoreOperation {
        guard case .object(var members) = customer(name) else { fatalError("a customer is an object") }
        members[0] = ("id", .string(id))
        return .put(id: id, document: .object(members))
    }

    func entry(_ type: String, actor: String, customers: [String], reason: String? = nil) -> StoreOperation {
        .log(
            entry: .object([
                ("time", .string("2026-12-01T10:00:00Z")), ("actor", .string(actor)), ("type", .string(type)),
                ("customers", .array(customers.map(JSONValue.string))), ("changes", .array([])),
                ("reason", reason.map(JSONValue.string) ?? .null),
            ]))
    }

    func names(_ store: any CustomerStore) throws -> [String] {
        var found: [String] = []
        try store.forEachDocument { bytes in
            let value = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self))
            found.append(value?["fields"]?["name"]?.stringValue ?? "?")
        }
        return found
    }

    @Test("an empty store holds nothing and has no version", arguments: Kind.allCases)
    func empty(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            #expect(store.count == 0)
            #expect(store.ids.isEmpty)
            #expect(store.version == nil)
            #expect(try store.logEntries().isEmpty)
            #expect(try store.versionEntries().isEmpty)
            #expect(store.highestNumber(prefix: "P") == 0)
            #expect(try store.document("P1") == nil)
            #expect(try names(store).isEmpty)
        }
    }

    @Test("documents are put, replaced and deleted; a deleted id stays taken", arguments: Kind.allCases)
    func documents(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            try store.commit([put("P1", "Li"), put("P2", "Ana"), put("P3", "Bo")])
            try store.commit([put("P1", "Li Wang"), .delete(id: "P2")])
            #expect(store.count == 2)
            #expect(Set(store.ids) == ["P1", "P3"])
            #expect(try store.document("P1")?["fields"]?["name"]?.stringValue == "Li Wang")
            #expect(try store.document("P2") == nil)
            #expect(store.contains("P1") && !store.contains("P2"))
            #expect(store.isTaken("P2") && !store.isTaken("P4"))
            // A delete retires the id even when nothing was stored under it.
            try store.commit([.delete(id: "P8")])
            #expect(store.isTaken("P8") && !store.contains("P8"))
            // In the order written: a replaced document comes after the ones written before it.
            #expect(try names(store) == ["Bo", "Li Wang"])
        }
    }

    func record(_ name: String, of customer: String) -> JSONValue {
        .object([("customer", .string(customer)), ("fields", .object([("name", .string(name))]))])
    }

    func records(_ store: any CustomerStore, kind: String? = nil) throws -> [String] {
        var found: [String] = []
        try store.forEachRecord(kind: kind) { kind, id, bytes in
            let value = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self))
            found.append("\(kind) \(id) \(value?["fields"]?["name"]?.stringValue ?? "?")")
        }
        return found
    }

    @Test("related records are kept apart from the customers and read back by kind", arguments: Kind.allCases)
    func relatedRecords(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            try store.commit([
                put("P1", "Li"), .putRecord(kind: "contacts", id: "CT1", document: record("Ann", of: "P1")),
                .putRecord(kind: "orders", id: "OR7", document: record("First order", of: "P1")),
                entry("record_add", actor: "U1", customers: ["P1"]),
            ])
            #expect(store.count == 1 && store.recordCount == 2)
            #expect(store.ids == ["P1"] && !store.contains("CT1"))
            #expect(try names(store) == ["Li"], "no walk over customers meets a record")
            #expect(try store.document("CT1") == nil)
            // A record's key names no customer, to any customer call.
            #expect(try store.document("contacts:CT1") == nil)
            #expect(!store.contains("contacts:CT1") && !store.isTaken("contacts:CT1"))
            #expect(try store.record(kind: "contacts", id: "CT1")?["fields"]?["name"]?.stringValue == "Ann")
            #expect(try store.record(kind: "orders", id: "CT1") == nil)
            #expect(try records(store) == ["contacts CT1 Ann", "orders OR7 First order"])
            #expect(try records(store, kind: "orders") == ["orders OR7 First order"])
            #expect(store.highestNumber(prefix: "CT") == 1 && store.highestNumber(prefix: "OR") == 7)
            let end = store.end
            try store.commit([
                .putRecord(kind: "contacts", id: "CT1", document: record("Ann Lee", of: "P1")),
                .deleteRecord(kind: "orders", id: "OR7"),
            ])
            #expect(store.recordCount == 1 && store.count == 1)
            #expect(store.isRecordTaken(kind: "orders", id: "OR7"), "a deleted record's id stays taken")
            #expect(try store.idsWritten(after: end).isEmpty, "the customers' caches see no record written")
            #expect(try records(store) == ["contacts CT1 Ann Lee"])
            // A kind or an id the store cannot keep is refused, and the batch with it.
            for bad in [
                StoreOperation.putRecord(kind: "con/tacts", id: "CT2", document: record("X", of: "P1")),
                .putRecord(kind: "contacts", id: "../x", document: record("X", of: "P1")),
                .putRecord(kind: "", id: "CT2", document: record("X", of: "P1")),
                .put(id: "a:b:c", document: record("X", of: "P1")),
            ] {
                #expect(throws: StoreError.self) { try store.commit([put("P2", "Ana"), bad]) }
            }
            #expect(store.count == 1 && store.recordCount == 1 && !store.isTaken("P2"))
            let shares = Mutex<Int>(0)
            try store.forEachDocumentConcurrently(workers: 2) { _, _ in shares.withLock { $0 += 1 } }
            #expect(shares.withLock { $0 } == 1)
        }
    }

    @Test("a file store opened again, from its log and then from its id index, keeps records apart")
    func relatedRecordsReopened() throws {
        let folder = Scratch.path("contract-records").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let store = try JSONFileStore.open(path: folder, writer: "contract test")
            try store.commit([
                put("P1", "Li"), put("P2", "Ana"),
                .putRecord(kind: "contacts", id: "CT1", document: record("Ann", of: "P1")),
                .putRecord(kind: "contacts", id: "CT2", document: record("Bo", of: "P2")),
            ])
            try store.commit([.deleteRecord(kind: "contacts", id: "CT2"), .delete(id: "P2")])
        }
        for _ in 1...3 {
            let store = try JSONFileStore.open(path: folder, writer: "contract test")
            #expect(store.count == 1 && store.recordCount == 1)
            #expect(store.ids == ["P1"])
            #expect(try names(store) == ["Li"])
            #expect(try records(store) == ["contacts CT1 Ann"])
            #expect(store.highestNumber(prefix: "CT") == 2)
            #expect(store.isRecordTaken(kind: "contacts", id: "CT2"))
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/index/ids.bin"))
    }

    @Test("a batch with an invalid id changes nothing", arguments: Kind.allCases)
    func allOrNothing(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            try store.commit([put("P1", "Li")])
            let end = store.end
            #expect(throws: StoreError.self) {
                try store.commit([put("P2", "Ana"), entry("add", actor: "U1", customers: ["P2"]), put("../x", "Bad")])
            }
            #expect(store.count == 1)
            #expect(try store.logEntries().isEmpty)
            #expect(store.end == end)
            #expect(!store.isTaken("P2"))
        }
    }

    /// The same store as `store`, opened to read.
    func openedToRead(_ kind: Kind, _ store: any CustomerStore) throws -> any CustomerStore {
        switch kind {
        case .memory: return (store as! MemoryStore).openedToRead()
        case .files: return try JSONFileStore.open(path: store.location, writer: nil)
        }
    }

    @Test("a store opened to read refuses every write and changes nothing", arguments: Kind.allCases)
    func readOnly(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            try store.commit([put("P1", "Li"), entry("add", actor: "U1", customers: ["P1"])])
            let reader = try openedToRead(kind, store)
            #expect(store.isWriter && !reader.isWriter)
            let version = AppliedVersion(
                number: 1, appliedAt: "2026-12-01T10:00:00Z", appliedBy: "U1",
                files: [("clientele.yaml", "name: Demo\n")], inherited: [:])
            #expect(throws: StoreError.self) { try reader.commit([put("P2", "Ana")]) }
            #expect(throws: StoreError.self) { try reader.commit([put("P1", "Li Wang")]) }
            #expect(throws: StoreError.self) { try reader.applyVersion(version, extra: [], operations: []) }
            #expect(throws: StoreError.self) { _ = try reader.saveBackup("removed.jsonl", text: "{}\n") }
            #expect(throws: (any Error).self) {
                try reader.commitStreaming { put, _ in
                    try Array(#"{"id":"P3"}"#.utf8).withUnsafeBufferPointer { try put("P3", $0) }
                }
            }
            for copy in [store, try openedToRead(kind, store)] {
                #expect(copy.count == 1 && !copy.isTaken("P2") && !copy.isTaken("P3"))
                #expect(try copy.document("P1")?["fields"]?["name"]?.stringValue == "Li")
                #expect(copy.version == nil)
                #expect(try copy.logEntries().count == 1)
            }
            // The writer still writes.
            try store.commit([put("P2", "Ana")])
            #expect(store.count == 2)
        }
    }

    @Test(
        "a store opened to read catches up with a writer, then writes a group of its own under the lock; keys are kept",
        arguments: Kind.allCases)
    func sharing(_ kind: Kind) throws {
        let folder = Scratch.path("contract-sharing").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var writer: (any CustomerStore)? =
            kind == .files ? try JSONFileStore.open(path: folder, writer: "contract writer") : MemoryStore()
        try writer!.commit([put("P1", "Li"), entry("add", actor: "U1", customers: ["P1"])])
        let reader = try openedToRead(kind, writer!)
        #expect(try reader.refresh() == false)
        #expect(try reader.readKeys() == nil)
        #expect(throws: StoreError.self) { try reader.saveKeys(Array("{}".utf8)) }
        if kind == .files {
            try writer!.commit([put("P2", "Ana")])
            #expect(try reader.refresh() == true)
            #expect(reader.count == 2 && reader.highestNumber(prefix: "P") == 2)
            #expect(try reader.document("P2")?["fields"]?["name"]?.stringValue == "Ana")
            // The writer holds the lock: the reader waits, then gives up, changing nothing.
            #expect(throws: StoreError.self) { try reader.beginWriting(as: "contract reader", timeout: 0.05) }
            #expect(!reader.isWriter)
        }
        writer = nil
        try reader.beginWriting(as: "contract reader", timeout: 1)
        #expect(reader.isWriter)
        try reader.commit([put("P3", "Bo")])
        try reader.commit([put("P1", "Li Wang"), entry("edit", actor: "U1", customers: ["P1"])])
        try reader.saveKeys(Array(#"{"keys":[]}"#.utf8))
        try reader.endWriting()
        #expect(!reader.isWriter)
        #expect(throws: StoreError.self) { try reader.commit([put("P4", "Cy")]) }
        #expect(try reader.readKeys() == Array(#"{"keys":[]}"#.utf8))
        #expect(try names(reader).sorted() == ["Ana", "Bo", "Li Wang"].filter { kind == .files || $0 != "Ana" })
        if kind == .files {
            // What the group wrote is there for the next process, durable and whole.
            let next = try JSONFileStore.open(path: folder, writer: nil)
            #expect(next.count == 3)
            #expect(try next.document("P1")?["fields"]?["name"]?.stringValue == "Li Wang")
            #expect(try next.logEntries().count == 2)
            #expect(try next.readKeys() == Array(#"{"keys":[]}"#.utf8))
        }
    }

    @Test("the log answers typed queries by the entries' values, not their text", arguments: Kind.allCases)
    func logQueries(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            try store.commit([put("P1", "Li"), entry("add", actor: "U1", customers: ["P1"])])
            try store.commit([entry("claim", actor: "U2", customers: ["P1"])])
            try store.commit([entry("claim", actor: "U3", customers: ["P1"])])
            // An entry that holds a claim's text, unescaped, in a nested object is not a claim.
            try store.commit([
                .log(
                    entry: .object([
                        ("time", .string("2026-12-01T10:00:00Z")), ("actor", .string("U2")), ("type", .string("edit")),
                        ("customers", .array([.string("P1")])),
                        ("changes", .array([.object([("type", .string("claim"))])])), ("reason", .null),
                    ]))
            ])
            #expect(try store.logEntries().map { $0["type"]?.stringValue } == ["add", "claim", "claim", "edit"])
            #expect(try store.logEntries(type: "claim", actor: nil).map { $0["actor"]?.stringValue } == ["U2", "U3"])
            #expect(try store.logEntries(type: "claim", actor: "U2").count == 1)
            #expect(try store.logEntries(type: nil, actor: "U2").map { $0["type"]?.stringValue } == ["claim", "edit"])
            #expect(try store.logEntries(type: "sweep", actor: nil).isEmpty)
        }
    }

    @Test("a version is applied with its migration in one batch, and read back", arguments: Kind.allCases)
    func versions(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            let first = AppliedVersion(
                number: 1, appliedAt: "2026-12-01T10:00:00Z", appliedBy: "U1",
                files: [("clientele.yaml", "name: Demo\n")], inherited: ["pkg": ["email", "name"]])
            try store.applyVersion(first, extra: [], operations: [])
            try store.commit([put("P1", "Li")])
            let second = AppliedVersion(
                number: 2, appliedAt: "2026-12-02T10:00:00Z", appliedBy: "U2",
                files: [("clientele.yaml", "name: Demo 2\n"), ("schema.yaml", "tables: []\n")], inherited: [:])
            try store.applyVersion(second, extra: [("rollback_of", .number("1"))], operations: [put("P1", "Li Wang")])
            #expect(store.version?.number == 2)
            #expect(store.version?.files.map(\.path) == ["clientele.yaml", "schema.yaml"])
            #expect(try store.document("P1")?["fields"]?["name"]?.stringValue == "Li Wang")
            let read = try store.readVersion(1)
            #expect(
                read.appliedBy == "U1" && read.files.map(\.text) == ["name: Demo\n"]
                    && read.inherited == ["pkg": ["email", "name"]])
            let entries = try store.versionEntries()
            #expect(entries.map { $0["config_version"]?.jsonText } == ["1", "2"])
            #expect(entries.last?["rollback_of"]?.jsonText == "1")
            #expect(try store.logEntries(type: "apply", actor: nil).count == 2)
        }
    }

    @Test("numbers are remembered per prefix, and a delete never lowers them", arguments: Kind.allCases)
    func numbering(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            try store.commit([put("P000007", "A"), put("P000003", "B"), put("O12", "C"), put("custom-id", "D")])
            try store.commit([.delete(id: "P000007")])
            #expect(store.highestNumber(prefix: "P") == 7)
            #expect(store.highestNumber(prefix: "O") == 12)
            #expect(store.highestNumber(prefix: "W") == 0)
        }
    }

    @Test("the documents are walked once each, on any number of workers", arguments: Kind.allCases, [1, 2, 3])
    func concurrentWalk(_ kind: Kind, workers: Int) throws {
        try withStore(kind) { store throws in
            try store.commit((1...25).map { put("P\($0)", "N\($0)") })
            final class Seen: @unchecked Sendable {
                let lock = NSLock()
                var ids: [Int: [String]] = [:]
            }
            let seen = Seen()
            try store.forEachDocumentConcurrently(workers: workers) { w, bytes in
                let id = (try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)))?["id"]?.stringValue ?? "?"
                seen.lock.withLock { seen.ids[w, default: []].append(id) }
            }
            #expect(seen.ids.keys.allSatisfy { $0 < workers })
            // The shares, in worker order, are the order written.
            #expect(seen.ids.keys.sorted().flatMap { seen.ids[$0]! } == (1...25).map { "P\($0)" })
        }
    }

    @Test(
        "a cache is read back at its position, for its key only, with what was written since", arguments: Kind.allCases)
    func caches(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            try store.commit([put("P1", "Li"), put("P2", "Ana")])
            store.saveCache("customers", key: "layout A", body: [1, 2, 3])
            let made = store.end
            let read = store.readCache("customers", key: "layout A") { Array($0) }
            #expect(read?.value == [1, 2, 3])
            #expect(read?.position == made)
            #expect(store.readCache("customers", key: "layout B") { Array($0) } == nil)
            #expect(store.readCache("other", key: "layout A") { Array($0) } == nil)
            #expect(try store.idsWritten(after: made).isEmpty)
            try store.commit([put("P2", "Ana Li"), put("P3", "Bo"), .delete(id: "P1")])
            let written = try store.idsWritten(after: made)
            #expect(written == ["P2", "P3", "P1"])
            var current: [String] = []
            try store.forEachDocument(of: written, writtenAfter: made) { bytes in
                current.append(
                    (try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)))?["fields"]?["name"]?.stringValue
                        ?? "?")
            }
            #expect(current.sorted() == ["Ana Li", "Bo"])
        }
    }

    @Test(
        "a streamed batch commits its documents and entries together, or nothing when it fails",
        arguments: Kind.allCases)
    func streaming(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            try store.commitStreaming { put, log in
                for n in 1...3 {
                    let bytes = Array(#"{"id":"P\#(n)","fields":{"name":"N\#(n)"}}"#.utf8)
                    try bytes.withUnsafeBufferPointer { try put("P\(n)", $0) }
                }
                try log(.object([("type", .string("import")), ("actor", .string("U1")), ("customers", .array([]))]))
            }
            #expect(store.count == 3)
            #expect(store.highestNumber(prefix: "P") == 3)
            #expect(try store.logEntries(type: "import", actor: "U1").count == 1)
            struct Stop: Error {}
            #expect(throws: Stop.self) {
                try store.commitStreaming { put, _ in
                    let bytes = Array(#"{"id":"P9","fields":{}}"#.utf8)
                    try bytes.withUnsafeBufferPointer { try put("P9", $0) }
                    throw Stop()
                }
            }
            #expect(store.count == 3 && !store.isTaken("P9"))
        }
    }

    @Test("unique values name the customers that hold them now", arguments: Kind.allCases)
    func uniqueValues(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            let keys: @Sendable (UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])? = { bytes in
                guard let value = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)),
                    let id = value["id"]?.stringValue,
                    let name = value["fields"]?["name"]?.stringValue
                else { return nil }
                return (id, ["name\u{0}" + name])
            }
            try store.commit([put("P1", "Li"), put("P2", "Ana")])
            #expect(try store.uniqueValues(layout: "name", keys: keys).ids(holding: "name\u{0}Li") == ["P1"])
            try store.commit([put("P1", "Bo"), put("P3", "Li")])
            let values = try store.uniqueValues(layout: "name", keys: keys)
            #expect(values.ids(holding: "name\u{0}Li") == ["P3"])
            #expect(values.ids(holding: "name\u{0}Bo") == ["P1"])
            #expect(values.all().count == 3)
        }
    }

    @Test("a backup says where it is kept", arguments: Kind.allCases)
    func backups(_ kind: Kind) throws {
        try withStore(kind) { store throws in
            let location = try store.saveBackup("version-2.jsonl", text: "{\"id\":\"P1\"}\n")
            #expect(location.hasPrefix(store.location))
            #expect(location.hasSuffix("version-2.jsonl"))
            if let files = store as? JSONFileStore {
                #expect(try String(contentsOfFile: location, encoding: .utf8) == "{\"id\":\"P1\"}\n")
                #expect(location == files.path + "/backups/version-2.jsonl")
            }
        }
    }
}
