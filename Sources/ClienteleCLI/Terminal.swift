import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// Where output goes, and whether it may be coloured (a terminal, and no NO_COLOR).
enum Terminal {
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    static func colors(_ fd: Int32) -> Bool {
        let env = ProcessInfo.processInfo.environment
        if let noColor = env["NO_COLOR"], !noColor.isEmpty { return false }
        if env["TERM"] == "dumb" { return false }
        return isTerminal(fd)
    }

    /// Writes to standard output; a failed write (a full disk, a closed pipe) ends the
    /// command with exit 1 and says so, instead of crashing or losing output silently.
    static func out(_ text: String) {
        guard writeAll(1, text) else {
            let reason = String(cString: strerror(errno))
            _ = writeAll(
                2, "error: cannot write the output: \(reason); a change the command made before this is stored\n")
            exit(1)
        }
    }

    static func err(_ text: String) {
        _ = writeAll(2, text)
    }

    static func note(_ message: String) {
        err("note: \(message)\n")
    }

    private static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        FileWriting.writeAll(fd, Array(text.utf8))
    }

    /// Messages quote input (names, values, file names): their control characters are escaped.
    static func error(_ message: String) {
        let label = colors(2) ? "\u{1B}[1;31merror:\u{1B}[0m" : "error:"
        err("\(label) \(PrintableText.escaped(message))\n")
    }

    /// Something the user should know of what was done (stored all the same).
    static func warning(_ message: String) {
        let label = colors(2) ? "\u{1B}[1;33mwarning:\u{1B}[0m" : "warning:"
        err("\(label) \(PrintableText.escaped(message))\n")
    }

    static func printDiagnostics(_ diagnostics: [Diagnostic], files: SourceFiles) {
        err(DiagnosticRenderer(files: files, colors: colors(2)).render(diagnostics))
    }

    static func relativePath(from base: URL, to target: URL) -> String {
        let b = base.standardizedFileURL.pathComponents
        let t = target.standardizedFileURL.pathComponents
        var common = 0
        while common < b.count, common < t.count, b[common] == t[common] { common += 1 }
        let ups = Array(repeating: "..", count: b.count - common)
        return (ups + t[common...]).joined(separator: "/")
    }
}
