import ClienteleCore
import ClienteleModel
import ClienteleSpec

extension ExpressionSource {
    /// The file position of character `offset` of the expression text, found by
    /// walking the scalar as written: quotes, folded line breaks and block indentation included.
    package func location(ofCharacter offset: Int, in files: SourceFiles) -> SourceLocation {
        guard let file = files[location.file] else { return location.advanced(byColumns: offset) }
        let sourceLines = file.text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        let textCharacters = Array(text)
        let target = min(max(0, offset), textCharacters.count)
        switch style {
        case .literal, .folded:
            // The text starts on the line after the indicator; count lines of the text.
            var line = 0
            var column = 0
            for ch in textCharacters.prefix(target) {
                if ch == "\n" {
                    line += 1
                    column = 0
                } else {
                    column += 1
                }
            }
            let fileLine = location.line + 1 + line
            let indent =
                sourceLines.indices.contains(fileLine - 1) ? sourceLines[fileLine - 1].prefix { $0 == " " }.count : 0
            return SourceLocation(file: location.file, line: fileLine, column: indent + column + 1)
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
                    column += 2
                } else if style == .singleQuoted && ch == "'" {
                    column += 2
                } else {
                    column += 1
                }
                k += 1
            }
            return SourceLocation(file: location.file, line: line + 1, column: column + 1)
        }
    }
}
