import ClienteleCore
import ClienteleModel
import ClienteleSpec

extension ExpressionSource {
    /// The file position of character `offset` of the expression text, found by
    /// walking the scalar as written: quotes, folded line breaks and block indentation included.
    package func location(ofCharacter offset: Int, in files: SourceFiles) -> SourceLocation {
        guard let file = files[location.file] else { return location.advanced(byColumns: offset) }
        let sourceLines = file.text.split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        ).map { Array($0) }
        let textCharacters = Array(text)
        let target = min(max(0, offset), textCharacters.count)
        switch style {
        case .literal, .folded:
            // The text starts on the line after the indicator, each line without the
            // block's indentation (that of its first line that is not blank). Walk the
            // source beside the text: a line's end stands for the break the text holds
            // there (a newline, or a space where folded), a more indented line keeps its
            // extra spaces in the text.
            var line = location.line
            guard sourceLines.indices.contains(line) else { return location.advanced(byColumns: offset) }
            let indent =
                sourceLines[line...].first { $0.contains { $0 != " " } }.map { $0.prefix { $0 == " " }.count } ?? 0
            var column = min(indent, sourceLines[line].count)
            for _ in 0..<target {
                guard sourceLines.indices.contains(line) else { break }
                let current = sourceLines[line]
                if column < current.count {
                    column += 1
                } else {
                    line += 1
                    column = sourceLines.indices.contains(line) ? min(indent, sourceLines[line].count) : 0
                }
            }
            guard sourceLines.indices.contains(line) else {
                return SourceLocation(file: location.file, line: sourceLines.count, column: 1)
            }
            return SourceLocation(file: location.file, line: line + 1, column: column + 1)
        case .plain, .singleQuoted, .doubleQuoted:
            var line = location.line - 1
            var column = location.column - 1
            guard sourceLines.indices.contains(line) else { return location.advanced(byColumns: offset) }
            if style != .plain { column += 1 }
            var k = 0
            while k < target {
                guard sourceLines.indices.contains(line) else { break }
                let current = sourceLines[line]
                if column >= current.count {
                    // A line break in the source, folded into one space of the text.
                    line += 1
                    column =
                        sourceLines.indices.contains(line)
                        ? sourceLines[line].prefix { $0 == " " || $0 == "\t" }.count : 0
                    k += 1
                    continue
                }
                let ch = current[column]
                if style == .doubleQuoted && ch == "\\" {
                    // An escape: \xXX, \uXXXX and \UXXXXXXXX stand for one character, as \n does.
                    let next = column + 1 < current.count ? current[column + 1] : " "
                    column += next == "x" ? 4 : next == "u" ? 6 : next == "U" ? 10 : 2
                } else if style == .singleQuoted && ch == "'" {
                    column += 2
                } else {
                    column += 1
                }
                k += 1
            }
            let length = sourceLines.indices.contains(line) ? sourceLines[line].count : 0
            return SourceLocation(file: location.file, line: line + 1, column: min(column, length) + 1)
        }
    }
}
