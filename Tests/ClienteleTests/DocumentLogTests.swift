import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

@Suite("The document log and the store lock")
struct DocumentLogTests {
    func directory() throws -> String {
        let url = Scratch.path("log")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    func doc(_ name: String) -> JSONValue { .object([("fields", .object([("name", .string(name))]))]) }

    @Test("committed batches are there after reopening; deletes too")
    func reopen() throws {
        let dir = try directory()
        do {
            let log = try DocumentLog.open(directory: dir)
            try log.commit([.put(id: "P1", document: doc("Li")), .put(id: "P2", document: doc("Ana"))])
            try log.commit([.put(id: "P1", document: doc("Li Wang")), .delete(id: "P2")])
        }
        let log = try DocumentLog.open(directory: dir)
        #expect(log.count == 1)
        #expect(try log.document("P1") == doc("Li Wang"))
        #expect(try log.document("P2") == nil)
        #expect(log.recoveredBytes == 0)
    }

    @Test("a damaged batch after the stored id index's position is named by its lines in the file")
    func damageAfterIndexNamesFileLines() throws {
        let dir = try directory()
        let index = dir + "/ids.bin"
        do {
            let log = try DocumentLog.open(directory: dir)
            try log.commit((1...3).map { .put(id: "P\($0)", document: doc("N\($0)")) })  // lines 1-4
            #expect(log.saveIdIndex(path: index, numbers: ["P": 3]))
            try log.commit([.put(id: "P4", document: doc("Blue")), .put(id: "P5", document: doc("N5"))])  // lines 5-7
        }
        let file = dir + "/000001.jsonl"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let at = try #require(bytes.firstRange(of: Data("Blue".utf8))).lowerBound
        bytes[at] = UInt8(ascii: "G")
        try bytes.write(to: URL(fileURLWithPath: file))
        for idIndex in [index, nil] {
            do {
                _ = try DocumentLog.open(directory: dir, recover: false, idIndex: idIndex)
                Issue.record("a damaged batch was read")
            } catch {
                #expect(
                    error.message.contains("000001.jsonl:5: batch 2 (lines 5-7) does not match its checksum"),
                    "\(error.message)")
            }
        }
    }

    @Test(
        "opening from the stored id index gives what reading the whole log gives: deletes, ids put again, a torn tail")
    func storedIdIndex() throws {
        let dir = try directory()
        let index = dir + "/ids.bin"
        do {
            let log = try DocumentLog.open(directory: dir)
            try log.commit((1...5).map { .put(id: "P\($0)", document: doc("N\($0)")) })
            try log.commit([
                .delete(id: "P2"), .put(id: "P3", document: doc("N3b")),
                .log(entry: .object([("type", .string("edit"))])),
            ])
            #expect(log.saveIdIndex(path: index, numbers: ["P": 5]))
            // After the index's position: a stored id deleted, a retired one put again, a new one put and deleted.
            try log.commit([
                .delete(id: "P1"), .put(id: "P2", document: doc("N2 again")), .put(id: "P6", document: doc("N6")),
            ])
            try log.commit([.delete(id: "P6"), .log(entry: .object([("type", .string("delete"))]))])
        }
        // What a crash leaves after the last commit.
        let segment = try #require(FileHandle(forWritingAtPath: dir + "/000001.jsonl"))
        segment.seekToEndOfFile()
        segment.write(Data(#"{"batch":5,"op":"put","id":"P7","doc":{"fi"#.utf8))
        try segment.close()
        let fromIndex = try DocumentLog.open(directory: dir, recover: true, idIndex: index)
        let whole = try DocumentLog.open(directory: dir, recover: false)
        #expect(fromIndex.recoveredBytes > 0)
        #expect(fromIndex.sameIds(as: whole))
        #expect(fromIndex.count == 4 && Set(fromIndex.ids) == ["P2", "P3", "P4", "P5"])
        #expect(
            try fromIndex.document("P3") == doc("N3b") && fromIndex.document("P2") == doc("N2 again")
                && fromIndex.document("P1") == nil)
        #expect(
            fromIndex.isRetired("P1") && fromIndex.isRetired("P6") && !fromIndex.isRetired("P2")
                && !fromIndex.isRetired("P3"))
        #expect(try fromIndex.logEntries().count == 2)
        // Written again at the end, it still reads the same; a damaged copy is not used.
        #expect(fromIndex.saveIdIndex(path: index, numbers: ["P": 6]))
        #expect(try DocumentLog.open(directory: dir, recover: false, idIndex: index).sameIds(as: whole))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: index))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: index))
        #expect(try DocumentLog.open(directory: dir, recover: false, idIndex: index).sameIds(as: whole))
    }

    @Test("damage after the stored id index's position is named with its line in the file")
    func damageAfterStoredIdIndex() throws {
        let dir = try directory()
        let index = dir + "/ids.bin"
        do {
            let log = try DocumentLog.open(directory: dir)
            try log.commit([.put(id: "P1", document: doc("A")), .put(id: "P2", document: doc("B"))])
            #expect(log.saveIdIndex(path: index, numbers: [:]))
            try log.commit([.put(id: "P3", document: doc("C"))])
        }
        let file = URL(fileURLWithPath: dir + "/000001.jsonl")
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: #""name":"C""#, with: #""name":"X""#)
        try text.write(to: file, atomically: true, encoding: .utf8)
        #expect {
            _ = try DocumentLog.open(directory: dir, recover: false, idIndex: index)
        } throws: { error in
            // Lines 1-3 hold the first batch; the changed batch starts at line 4.
            (error as? StoreError)?.message.contains("000001.jsonl:4") == true
                || (error as? StoreError)?.message.contains("000001.jsonl:5") == true
        }
    }

    @Test(
        "the end of every committed batch, streamed or not, is a commit boundary, so the access columns kept beside the log are used"
    )
    func commitBoundaries() throws {
        let dir = try directory()
        let log = try DocumentLog.open(directory: dir)
        // Counts of several digits make the commit line long: the boundary check must see all of it.
        try log.commit((1...12).map { .put(id: "P\($0)", document: doc("Li")) })
        #expect(log.isCommitBoundary(log.end))
        let body = Array(#"{"fields":{"name":"Ana"}}"#.utf8)
        try log.commitStreaming { put, _ in
            for k in 0..<1_234 { try body.withUnsafeBufferPointer { try put("Q\(k)", $0) } }
        }
        #expect(log.isCommitBoundary(log.end))
        let reopened = try DocumentLog.open(directory: dir, recover: false)
        #expect(reopened.isCommitBoundary(reopened.end))
        #expect(
            !reopened.isCommitBoundary(
                DocumentLog.Position(segment: 1, offset: reopened.end.offset - 1, batch: reopened.end.batch)))
    }

    @Test(
        "a torn last line or an unfinished batch is cut off when the log is opened",
        arguments: [
            "{\"batch\":3,\"op\":\"put\",\"id\":\"P9\",\"doc\":{\"fields\":{\"na",
            "{\"batch\":3,\"op\":\"put\",\"id\":\"P9\",\"doc\":{}}\n",
            "{\"batch\":3,\"op\":\"delete\",\"id\":\"P1\"}\n{\"batch\":3,\"comm",
        ])
    func recovery(tail: String) throws {
        let dir = try directory()
        do {
            let log = try DocumentLog.open(directory: dir)
            try log.commit([.put(id: "P1", document: doc("Li"))])
            try log.commit([.put(id: "P2", document: doc("Ana"))])
        }
        let segment = dir + "/000001.jsonl"
        let before = try Data(contentsOf: URL(fileURLWithPath: segment))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(tail.utf8))
        try handle.close()
        let log = try DocumentLog.open(directory: dir)
        #expect(log.recoveredBytes == tail.utf8.count)
        #expect(log.count == 2)
        #expect(try log.document("P1") == doc("Li"))
        let after = try Data(contentsOf: URL(fileURLWithPath: segment))
        #expect(after == before, "the file is back to its last commit")
        try log.commit([.put(id: "P3", document: doc("Bo"))])
        let reopened = try DocumentLog.open(directory: dir)
        #expect(reopened.count == 3, "writing goes on after recovery")
    }

    @Test(
        "ids that could name a path are refused, and nothing is written",
        arguments: ["../etc/passwd", "a/b", "", "x y", String(repeating: "a", count: 65)])
    func badIds(id: String) throws {
        let dir = try directory()
        let log = try DocumentLog.open(directory: dir)
        #expect(throws: StoreError.self) {
            try log.commit([.put(id: "ok", document: doc("x")), .put(id: id, document: doc("x"))])
        }
        #expect(log.count == 0)
        let reopened = try DocumentLog.open(directory: dir)
        #expect(reopened.count == 0)
    }

    @Test("the log is JSON Lines an administrator can read")
    func readable() throws {
        let dir = try directory()
        let log = try DocumentLog.open(directory: dir)
        try log.commit([.put(id: "P1", document: doc("Li"))])
        let text = try String(contentsOfFile: dir + "/000001.jsonl", encoding: .utf8)
        let lines = text.split(separator: "\n").map { try? JSONValue.parse(String($0)) }
        #expect(lines.count == 2 && lines.allSatisfy { $0 != nil })
        #expect(lines[0]?["doc"] == doc("Li"))
    }

    @Test("a second writer waits, then fails naming who holds the lock")
    func lock() throws {
        let dir = try directory()
        let first = try StoreLock.acquire(in: dir, holder: "clientele import big.csv", timeout: 1)
        do {
            _ = try StoreLock.acquire(in: dir, holder: "clientele customer edit", timeout: 0.2)
            Issue.record("a second lock was granted")
        } catch {
            #expect(error.message.contains("pid \(getpid()), clientele import big.csv"))
            #expect(error.message.contains("waited"))
        }
        _ = first
    }

    @Test("the lock is free again once its holder lets go")
    func lockReleased() throws {
        let dir = try directory()
        do { _ = try StoreLock.acquire(in: dir, holder: "first", timeout: 1) }
        _ = try StoreLock.acquire(in: dir, holder: "second", timeout: 0.2)
    }
}
