import ClienteleCore

/// The text of one loaded file, kept so diagnostics can show the offending line.
package struct SourceFile: Sendable {
    package var displayPath: String
    package var text: String

    package init(displayPath: String, text: String) {
        self.displayPath = displayPath
        self.text = text
    }

    /// The 1-based line `number`, without its line break, if it exists.
    package func line(_ number: Int) -> Substring? {
        guard number >= 1 else { return nil }
        var current = 1
        var start = text.startIndex
        while current < number {
            guard let newline = text[start...].firstIndex(where: { $0 == "\n" || $0 == "\r\n" }) else { return nil }
            start = text.index(after: newline)
            current += 1
        }
        let end = text[start...].firstIndex(where: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) ?? text.endIndex
        return text[start..<end]
    }
}

/// Every source file a run has read, by display path.
package struct SourceFiles: Sendable {
    private var files: [String: SourceFile] = [:]

    package init() {}

    package mutating func add(_ file: SourceFile) {
        files[file.displayPath] = file
    }

    package subscript(displayPath: String) -> SourceFile? { files[displayPath] }
}
