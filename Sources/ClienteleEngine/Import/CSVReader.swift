import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Reads RFC 4180 CSV (quoted cells, doubled quotes, line breaks inside quotes,
/// CRLF or LF, an optional UTF-8 byte order mark), one record at a time,
/// remembering the line each record starts on.
package struct CSVReader {
    package struct Record: Sendable {
        /// The 1-based line of the file where the record starts.
        package var line: Int
        package var cells: [String]
    }

    package struct SyntaxError: Error, Sendable, Equatable {
        package var line: Int
        package var column: Int
        package var message: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var line = 1
    package let delimiter: UInt8

    package init(_ bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8 = UInt8(ascii: ",")) {
        self.bytes = bytes
        self.delimiter = delimiter
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
    }

    /// The next record, nil at the end of the file. Blank lines are skipped.
    package mutating func next() throws(SyntaxError) -> Record? {
        while i < bytes.count, bytes[i] == 0x0A || bytes[i] == 0x0D {
            if bytes[i] == 0x0A { line += 1 }
            i += 1
        }
        guard i < bytes.count else { return nil }
        let startLine = line
        var cells: [String] = []
        var lineStart = i
        while true {
            var cell: [UInt8] = []
            let cellLine = line
            let cellColumn = i - lineStart + 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                let quoteLine = line
                let quoteColumn = i - lineStart + 1
                i += 1
                while true {
                    guard i < bytes.count else {
                        throw SyntaxError(line: quoteLine, column: quoteColumn, message: "a quoted cell is not closed")
                    }
                    let b = bytes[i]
                    if b == UInt8(ascii: "\"") {
                        if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                            cell.append(b)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    if b == 0x0A {
                        line += 1
                        lineStart = i + 1
                    }
                    cell.append(b)
                    i += 1
                }
                if i < bytes.count, bytes[i] != delimiter, bytes[i] != 0x0A, bytes[i] != 0x0D {
                    throw SyntaxError(
                        line: line, column: i - lineStart + 1,
                        message: "unexpected text after a quoted cell; double the quotes inside it")
                }
            } else {
                let start = i
                while i < bytes.count, bytes[i] != delimiter, bytes[i] != 0x0A, bytes[i] != 0x0D { i += 1 }
                cell.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
            }
            // Text is UTF-8: other bytes are refused with their place, never replaced silently.
            guard let text = String(validating: cell, as: UTF8.self) else {
                throw SyntaxError(
                    line: cellLine, column: cellColumn, message: "this cell is not UTF-8 text (save the file as UTF-8)")
            }
            cells.append(text)
            if i < bytes.count, bytes[i] == delimiter {
                i += 1
                continue
            }
            // End of record.
            if i < bytes.count, bytes[i] == 0x0D { i += 1 }
            if i < bytes.count, bytes[i] == 0x0A {
                i += 1
                line += 1
            }
            return Record(line: startLine, cells: cells)
        }
    }
}
