import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// One cell of a CSV file that Clientele writes (export, rejects, template).
package enum CSVCell {
    /// The cell quoted when its bytes hold `"`, `,`, CR or LF (decided on bytes, so a
    /// CR LF pair, one Swift `Character`, cannot slip through and forge a row). Unless
    /// `raw`, a cell that a spreadsheet would run as a formula (starting with `=`, `+`,
    /// `-`, `@`, TAB or CR, and not a plain number such as `-12.5`) gets a leading `'`,
    /// OWASP's rule against CSV injection.
    package static func escaped(_ s: String, raw: Bool = false) -> String {
        var text = s
        if !raw, let first = text.utf8.first, formulaStarts.contains(first), !isPlainNumber(text) { text = "'" + text }
        guard text.utf8.contains(where: { $0 == 0x22 || $0 == 0x2C || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static let formulaStarts: Set<UInt8> = [
        UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D,
    ]

    /// `-12`, `+3.5`, `-.5`, `-1e5`: a sign and a number, which a spreadsheet reads as a
    /// number, never as a formula. Any other first character is not a sign.
    static func isPlainNumber(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") else { return false }
        var k = 1
        var digits = 0
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        while k < bytes.count, isDigit(bytes[k]) {
            k += 1
            digits += 1
        }
        if k < bytes.count, bytes[k] == UInt8(ascii: ".") {
            k += 1
            while k < bytes.count, isDigit(bytes[k]) {
                k += 1
                digits += 1
            }
        }
        guard digits > 0 else { return false }
        if k < bytes.count, bytes[k] == UInt8(ascii: "e") || bytes[k] == UInt8(ascii: "E") {
            k += 1
            if k < bytes.count, bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: "+") { k += 1 }
            let start = k
            while k < bytes.count, isDigit(bytes[k]) { k += 1 }
            guard k > start else { return false }
        }
        return k == bytes.count
    }
}
