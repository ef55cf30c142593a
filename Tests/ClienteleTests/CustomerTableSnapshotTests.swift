import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// The access columns kept beside the log must always give the table a full load
/// of the documents would: after writes, when damaged, and when made for another config.
@Suite("The customer table kept beside the log")
struct CustomerTableSnapshotTests {
    let config: CompiledConfig
    let path: String

    init() throws {
        let (config, rendered, _) = compileFixture(TestPaths.examples.appendingPathComponent("sales"))
        self.config = try #require(config, "\(rendered)")
        path = Scratch.path("snapshot").path
    }

    var snapshotPath: String { path + "/index/customers.bin" }

    func customer(_ n: Int, owner: String = "bob", level: String = "A") -> JSONValue {
        .object([
            ("id", .string("P\(n)")), ("team", .string("sales")), ("table", .string("individual")), ("package", .null),
            ("account_executive", .string(owner)), ("customer_service_rep", n % 3 == 0 ? .string("erin") : .null),
            (
                "shared",
                .object([
                    ("users", .array(n % 2 == 0 ? [.string("dora")] : [])), ("departments", .array([])),
                    ("roles", .array([])),
                ])
            ),
            ("tags", .array(n % 5 == 0 ? [.string("key-account"), .string("n\(n)")] : [])),
            (
                "fields",
                .object([("name", .string("Customer \(n)")), ("level", .string(level)), ("seats", .number(String(n)))])
            ),
            ("followers", .array([])), ("pool", .null), ("created_at", .string("2026-11-23T10:00:00Z")),
        ])
    }

    /// The table as a full load of the documents makes it.
    func fullLoad(_ store: JSONFileStore) throws -> CustomerTable {
        let table = config.access.makeCustomerTable()
        try store.log.forEachDocument { table.addDocument($0) }
        return table
    }

    func expectSameAsFullLoad(_ store: JSONFileStore, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws
    {
        let loaded = try store.customerTable(for: config.access)
        let full = try fullLoad(store)
        #expect(loaded.ids == full.ids, sourceLocation: sourceLocation)
        let sameColumns = loaded.snapshot() == full.snapshot()
        #expect(sameColumns, "every column", sourceLocation: sourceLocation)
        for c in 0..<full.count { #expect(loaded.index(of: full.ids[c]) == c, sourceLocation: sourceLocation) }
    }

    @Test("the first load writes the snapshot; later loads read it, with the writes since applied on top")
    func writesSince() throws {
        let store = try JSONFileStore.open(path: path, writer: "test")
        try store.commit((1...50).map { .put(id: "P\($0)", document: customer($0)) })
        try expectSameAsFullLoad(store)
        #expect(FileManager.default.fileExists(atPath: snapshotPath))
        let written = try Data(contentsOf: URL(fileURLWithPath: snapshotPath))

        try expectSameAsFullLoad(store)  // from the snapshot, nothing since
        try store.commit([
            .put(id: "P7", document: customer(7, owner: "dora", level: "VIP")), .delete(id: "P8"),
            .put(id: "P51", document: customer(51)),
        ])
        try store.commit([.delete(id: "P51"), .put(id: "P1", document: customer(1, level: "B"))])
        try expectSameAsFullLoad(store)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: snapshotPath)) == written,
            "a short tail does not rewrite the snapshot")
        #expect(try store.customerTable(for: config.access).index(of: "P8") == nil)
        // More rows changed than are taken out in place: the others are copied.
        try store.commit(
            (10...40).map { .put(id: "P\($0)", document: customer($0, owner: "erin")) } + [.delete(id: "P2")])
        try expectSameAsFullLoad(store)
        #expect(try Data(contentsOf: URL(fileURLWithPath: snapshotPath)) == written)
    }

    @Test("a large tail rewrites the snapshot")
    func largeTail() throws {
        let store = try JSONFileStore.open(path: path, writer: "test")
        try store.commit([.put(id: "P1", document: customer(1))])
        _ = try store.customerTable(for: config.access)
        let before = try Data(contentsOf: URL(fileURLWithPath: snapshotPath))
        try store.commit((2...1_200).map { .put(id: "P\($0)", document: customer($0)) })
        try expectSameAsFullLoad(store)
        #expect(try Data(contentsOf: URL(fileURLWithPath: snapshotPath)) != before)
        try expectSameAsFullLoad(store)
    }

    @Test("a damaged snapshot is not used, and is written again", arguments: [0, 30, 200, -1])
    func damaged(at offset: Int) throws {
        let store = try JSONFileStore.open(path: path, writer: "test")
        try store.commit((1...20).map { .put(id: "P\($0)", document: customer($0)) })
        _ = try store.customerTable(for: config.access)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: snapshotPath))
        let k = offset >= 0 ? offset : bytes.count - 3
        bytes[k] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: snapshotPath))
        try store.commit([.put(id: "P3", document: customer(3, level: "VIP"))])
        try expectSameAsFullLoad(store)
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: snapshotPath))
        try expectSameAsFullLoad(store)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: snapshotPath)).count > bytes.count / 2, "written again, whole")
    }

    @Test("a snapshot made for other users or fields, or for another log, is not used")
    func otherLayoutOrLog() throws {
        let store = try JSONFileStore.open(path: path, writer: "test")
        try store.commit((1...20).map { .put(id: "P\($0)", document: customer($0)) })
        // A snapshot made for a table that reads other fields.
        let other = CustomerTable(org: config.access.org, fieldIdentities: ["name"])
        try store.log.forEachDocument { other.addDocument($0) }
        #expect(SnapshotFile(path: snapshotPath).save(key: other.layoutKey, log: store.log, body: other.snapshot()))
        try expectSameAsFullLoad(store)

        // A snapshot of this layout, but at a place that is not the end of a batch of this log.
        let table = try fullLoad(store)
        let mark = try #require(store.log.mark(of: store.log.end))
        var position = store.log.end
        position.offset -= 1
        #expect(
            SnapshotFile(path: snapshotPath).save(
                key: table.layoutKey, position: position, mark: mark, body: table.snapshot()))
        try expectSameAsFullLoad(store)
        position = store.log.end
        position.batch += 1
        #expect(
            SnapshotFile(path: snapshotPath).save(
                key: table.layoutKey, position: position, mark: mark, body: table.snapshot()))
        try expectSameAsFullLoad(store)
        // At the end of a batch of the same number and length, but another commit line: made from another log
        // (here, one that holds a single customer; used, it would make the table wrong).
        let foreign = config.access.makeCustomerTable()
        let one = Array(customer(1).jsonText.utf8)
        #expect(one.withUnsafeBufferPointer { foreign.addDocument($0) })
        #expect(
            SnapshotFile(path: snapshotPath).save(
                key: foreign.layoutKey, position: store.log.end, mark: mark ^ 1, body: foreign.snapshot()))
        try expectSameAsFullLoad(store)
        #expect(
            SnapshotFile(path: snapshotPath).save(
                key: foreign.layoutKey, position: store.log.end, mark: mark, body: foreign.snapshot()))
        #expect(
            try store.customerTable(for: config.access).count == 1,
            "with the right mark, the snapshot is used (so the check above can fail)")
    }

    @Test("restoring refuses bytes that do not hold a whole table")
    func restoreChecks() throws {
        let table = config.access.makeCustomerTable()
        for n in 1...10 { _ = Array(customer(n).jsonText.utf8).withUnsafeBufferPointer { table.addDocument($0) } }
        let bytes = table.snapshot()
        let org = config.access.org
        let fields = config.access.fieldIdentities
        let roundTrip =
            bytes.withUnsafeBytes { CustomerTable.restore($0, org: org, fieldIdentities: fields) }?.snapshot() == bytes
        #expect(roundTrip)
        for cut in [0, 1, 8, bytes.count / 2, bytes.count - 1] {
            #expect(
                bytes.prefix(cut).withUnsafeBytes { CustomerTable.restore($0, org: org, fieldIdentities: fields) }
                    == nil, "cut at \(cut)")
        }
        #expect(
            (bytes + [0]).withUnsafeBytes { CustomerTable.restore($0, org: org, fieldIdentities: fields) } == nil,
            "trailing bytes")
    }
}
