import ClienteleTestSupport
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

@Suite("The CSV reader")
struct CSVReaderTests {
    func records(_ text: String) throws -> [CSVReader.Record] {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            var reader = CSVReader(buffer)
            var out: [CSVReader.Record] = []
            while let r = try reader.next() { out.append(r) }
            return out
        }
    }

    @Test("quoted cells, doubled quotes, line breaks inside quotes, CRLF and a BOM")
    func rfc4180() throws {
        let rows = try records("\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n1,,3\n\n4,5,6")
        #expect(
            rows.map(\.cells) == [
                ["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["1", "", "3"], ["4", "5", "6"],
            ])
        #expect(rows.map(\.line) == [1, 2, 4, 6], "each record's first line")
    }

    @Test("an unclosed quote is an error at its line and column")
    func unclosed() {
        #expect(throws: CSVReader.SyntaxError(line: 2, column: 3, message: "a quoted cell is not closed")) {
            _ = try records("a,b\n1,\"open\n")
        }
    }

    @Test("text after a closing quote is an error")
    func textAfterQuote() {
        #expect(throws: CSVReader.SyntaxError.self) { _ = try records("\"a\"b,c\n") }
    }
}
