/// One cell of a CSV file that Clientele writes (export, rejects, template).
public enum CSVCell {
    /// The cell quoted when its bytes hold `"`, `,`, CR or LF (decided on bytes, so a
    /// CR LF pair, one Swift `Character`, cannot slip through and forge a row). Unless
    /// `raw`, a cell that a spreadsheet would run as a formula (starting with `=`, `+`,
    /// `-`, `@`, TAB or CR, and not a plain number such as `-12.5`) gets a leading `'`,
    /// OWASP's rule against CSV injection.
    public static func escaped(_ s: String, raw: Bool = false) -> String {
        var text = s
        if !raw, let first = text.utf8.first, formulaStarts.contains(first), !isPlainNumber(text) { text = "'" + text }
        guard text.utf8.contains(where: { $0 == 0x22 || $0 == 0x2C || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static let formulaStarts: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D]

    /// `-12`, `+3.5`: a sign, digits and at most one point; spreadsheets read it as a number, never a formula.
    static func isPlainNumber(_ s: String) -> Bool {
        let bytes = Array(s.utf8.dropFirst())
        guard !bytes.isEmpty, bytes.first != UInt8(ascii: "."), bytes.last != UInt8(ascii: ".") else { return false }
        var points = 0
        for b in bytes {
            if b == UInt8(ascii: ".") { points += 1; continue }
            guard b >= 0x30 && b <= 0x39 else { return false }
        }
        return points <= 1
    }
}
