import ClienteleCore

/// Renders diagnostics as `path:line:col: error: message`, the source line and a caret.
package struct DiagnosticRenderer: Sendable {
    package var files: SourceFiles
    package var colors: Bool

    package init(files: SourceFiles, colors: Bool = false) {
        self.files = files
        self.colors = colors
    }

    package func render(_ diagnostic: Diagnostic) -> String {
        var out = header(diagnostic.severity, diagnostic.message, diagnostic.location)
        out += snippet(at: diagnostic.location)
        for note in diagnostic.notes {
            out += header(.note, note.message, note.location)
            out += snippet(at: note.location)
        }
        return out
    }

    package func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(render).joined()
    }

    private func header(_ severity: Diagnostic.Severity, _ message: String, _ location: SourceLocation?) -> String {
        let place = location.map { "\($0): " } ?? ""
        let label: String
        if colors {
            let code: String
            switch severity {
            case .error: code = "31"
            case .warning: code = "33"
            case .note: code = "36"
            }
            label = "\u{1B}[1;\(code)m\(severity.rawValue):\u{1B}[0m"
        } else {
            label = "\(severity.rawValue):"
        }
        return "\(place)\(label) \(message)\n"
    }

    private func snippet(at location: SourceLocation?) -> String {
        guard let location, let file = files[location.file], var line = file.line(location.line) else { return "" }
        var column = location.column
        // Show a window of a very long line around the caret.
        let width = 100
        if line.count > width + 20 {
            let start = max(0, min(column - 1 - width / 2, line.count - width))
            let window = line.dropFirst(start).prefix(width)
            line = (start > 0 ? "..." : "") + window + (start + width < line.count ? "..." : "")
            column = column - start + (start > 0 ? 3 : 0)
        }
        // Keep tabs so the caret lines up under the same character in a terminal.
        let lead = String(line.prefix(max(0, column - 1)).map { $0 == "\t" ? "\t" : " " })
        let caret = colors ? "\u{1B}[1;32m^\u{1B}[0m" : "^"
        return "  \(line)\n  \(lead)\(caret)\n"
    }
}
