import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// `import --dry-run` against the sales example: every refusal with its row and column.
@Suite("Import dry runs")
struct ImportCheckerTests {
    static let folder = TestPaths.fixtures.appendingPathComponent("imports")

    func config() throws -> CompiledConfig {
        let (config, rendered, _) = compileFixture(TestPaths.examples.appendingPathComponent("sales"))
        return try #require(config, "\(rendered)")
    }

    func check(_ file: String, table: String? = nil, package: String? = nil) throws -> ImportReport {
        let config = try config()
        let defaults = try ImportTarget.resolve(config.model, team: nil, table: table, package: package)
        let mapped = try MappedFile(path: Self.folder.appendingPathComponent(file).path)
        return try ImportChecker(records: config.records, defaults: defaults)
            .check(mapped.bytes, format: ImportFormat.detect(path: file)!)
    }

    @Test("JSON Lines: each refused row is reported by its line, blank lines counted")
    func jsonLines() throws {
        let report = try check("customers.jsonl")
        #expect(report.rows == 13)
        #expect(report.rejected.map(\.line) == Array(4...13), "row 2 is valid, line 3 is blank")
        expectGolden(
            ImportReportRenderer.text(report), file: Self.folder.appendingPathComponent("customers.expected.txt"))
    }

    @Test("defaults the model does not know are refused as a problem of the row, never trusted")
    func unknownDefaults() throws {
        let records = try config().records
        for defaults in [
            RecordValidator.Defaults(team: "nowhere", table: .individual), RecordValidator.Defaults(package: "nothing"),
        ] {
            let line = Array(#"{"fields":{"name":"Li"}}"#.utf8)
            var tape = JSONTape()
            try line.withUnsafeBufferPointer { try tape.parse($0) }
            var scratch = [Int32](repeating: -1, count: records.maximumSlotCount)
            var problems: [RecordProblem] = []
            _ = line.withUnsafeBufferPointer { bytes in
                tape.withView(bytes: bytes) {
                    records.validate($0, defaults: defaults, scratch: &scratch, problems: &problems)
                }
            }
            #expect(problems.contains { $0.column == "team" || $0.column == "package" }, "\(problems)")
        }
    }

    @Test("JSON Lines: a duplicate id and a duplicate unique value name the first row")
    func uniqueness() throws {
        let report = try check("customers.jsonl")
        let row5 = try #require(report.rejected.first { $0.line == 5 })
        #expect(row5.problems.contains { $0.column == "id" && $0.message.contains("row 1") })
        let row6 = try #require(report.rejected.first { $0.line == 6 })
        #expect(
            row6.problems.contains { $0.column == "email" && $0.message.contains("row 1") },
            "e-mail is unique after lowercase normalisation")
    }

    @Test("CSV: headers by display name, cells parsed by field type, rows by starting line")
    func csv() throws {
        let report = try check("accounts.csv", table: "organization")
        #expect(report.rows == 5)
        #expect(report.rejected.map(\.line) == [3, 4, 5])
        expectGolden(
            ImportReportRenderer.text(report), file: Self.folder.appendingPathComponent("accounts.expected.txt"))
    }

    @Test("CSV: an unknown column refuses the file, naming the column")
    func unknownColumn() throws {
        #expect(throws: ImportFileError.self) { try check("unknown-column.csv", table: "organization") }
        do {
            _ = try check("unknown-column.csv", table: "organization")
        } catch let error as ImportFileError {
            #expect(error.line == 1 && error.column == 2)
            #expect(error.message.contains("'Colour'"))
        }
    }

    @Test("CSV: an unclosed quote refuses the file at its line and column")
    func unclosedQuote() throws {
        do {
            _ = try check("unclosed-quote.csv", table: "organization")
            Issue.record("accepted")
        } catch let error as ImportFileError {
            #expect(error.line == 2 && error.column == 1)
        }
    }

    @Test("the same rows give the same report whether checked in one chunk or several")
    func chunksAgree() throws {
        let config = try config()
        var text = ""
        let lines = try String(contentsOf: Self.folder.appendingPathComponent("customers.jsonl"), encoding: .utf8)
        for _ in 0..<4000 { text += lines }
        let bytes = Array(text.utf8)
        #expect(bytes.count > 4 << 20, "large enough to be split")
        let report = try bytes.withUnsafeBufferPointer {
            try ImportChecker(records: config.records, defaults: .init()).check($0, format: .jsonLines)
        }
        #expect(report.rows == 13 * 4000)
        let once = try check("customers.jsonl")
        let firstBlock = report.rejected.prefix(once.rejected.count)
        #expect(firstBlock.map(\.line) == once.rejected.map(\.line))
        #expect(firstBlock.map(\.problems) == once.rejected.map(\.problems))
        // Every later copy repeats ids already used in the first block.
        #expect(report.rejected.count == 10 + 3999 * 13)
    }
}
