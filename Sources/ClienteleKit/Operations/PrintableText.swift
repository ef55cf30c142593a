import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// Stored text made safe for a terminal: control characters (C0 but tab, DEL, C1)
/// written as `\u{1B}`, so a value that holds an escape sequence cannot move the
/// cursor, repaint the screen or forge a line of `list` or `log` output.
package enum PrintableText {
    package static func escaped(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            if isControl(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// C0 but tab, DEL, C1, and the bidirectional overrides and isolates, which reorder
    /// what follows them on the screen.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        (s.value < 0x20 && s != "\t") || (0x7F...0x9F).contains(s.value) || (0x202A...0x202E).contains(s.value)
            || (0x2066...0x2069).contains(s.value)
    }
}
