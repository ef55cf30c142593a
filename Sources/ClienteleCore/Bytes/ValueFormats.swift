#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Byte-level checks of the value formats of spec section 4, shared by every
/// validator. Each takes the UTF-8 bytes of one string value.
public enum ValueFormats {
    /// Whether `b` is an ASCII digit.
    @inlinable public static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    /// Whether `b` is an ASCII letter.
    @inlinable public static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }

    /// A record id: 1 to 64 letters, digits, '-' and '_'. Ids are the only names the
    /// store derives from input, and they never become file names.
    public static func isRecordId(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (1...64).contains(b.count) else { return false }
        for c in b where !(isAlpha(c) || isDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")) {
            return false
        }
        return true
    }

    /// Number of Unicode scalars (what `max_length` counts).
    @inlinable public static func scalarCount(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        for byte in b where byte & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// `local@domain.tld`: no spaces, one `@`, a dotted domain whose last label has letters.
    public static func isEmail(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count <= 254, let at = b.firstIndex(of: UInt8(ascii: "@")) else { return false }
        let local = UnsafeBufferPointer(rebasing: b[..<at])
        let domain = UnsafeBufferPointer(rebasing: b[(at + 1)...])
        guard (1...64).contains(local.count), !domain.isEmpty else { return false }
        guard local.first != UInt8(ascii: "."), local.last != UInt8(ascii: ".") else { return false }
        var previous: UInt8 = 0
        for c in local {
            if c == UInt8(ascii: ".") && previous == c { return false }
            previous = c
            if c >= 0x80 || isAlpha(c) || isDigit(c) { continue }
            switch c {
            case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
                UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="),
                UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "{"),
                UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"), UInt8(ascii: "."), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return isHostName(domain, requireDot: true) && invisibleCharacter(b) == nil
    }

    /// The first control character other than tab and line breaks (C0, DEL, or C1
    /// as UTF-8 writes it), as a code point; nil when there is none.
    public static func controlCharacter(_ b: UnsafeBufferPointer<UInt8>) -> UInt32? {
        func control(at k: Int) -> UInt32? {
            let c = b[k]
            if (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D) || c == 0x7F { return UInt32(c) }
            if c == 0xC2, k + 1 < b.count, (0x80...0x9F).contains(b[k + 1]) { return UInt32(b[k + 1]) }
            return nil
        }
        var k = 0
        if let base = UnsafeRawPointer(b.baseAddress) {
            // Eight bytes at a time: a word with no byte below 0x20, no 0x7F and no 0xC2 holds none.
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while k + 8 <= b.count {
                let w = base.loadUnaligned(fromByteOffset: k, as: UInt64.self)
                let below = (w &- (ones &* 0x20)) & ~w & highs
                let del = ((w ^ (ones &* 0x7F)) &- ones) & ~(w ^ (ones &* 0x7F)) & highs
                let c2 = ((w ^ (ones &* 0xC2)) &- ones) & ~(w ^ (ones &* 0xC2)) & highs
                if below | del | c2 != 0 {
                    for j in k..<(k + 8) { if let c = control(at: j) { return c } }
                }
                k += 8
            }
        }
        while k < b.count {
            if let c = control(at: k) { return c }
            k += 1
        }
        return nil
    }

    /// The first character outside ASCII that shows nothing (a zero-width space, a
    /// format or control character, a separator, a private or unassigned code point):
    /// in an address, it makes a look-alike of another.
    public static func invisibleCharacter(_ b: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar? {
        guard b.contains(where: { $0 >= 0x80 }) else { return nil }
        return String(decoding: b, as: UTF8.self).unicodeScalars.first { scalar in
            guard !scalar.isASCII else { return false }
            if scalar.properties.isDefaultIgnorableCodePoint { return true }
            switch scalar.properties.generalCategory {
            case .format, .control, .spaceSeparator, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned:
                return true
            default: return false
            }
        }
    }

    /// Dot-separated labels of letters, digits and hyphens (not at a label's ends).
    static func isHostName(_ b: UnsafeBufferPointer<UInt8>, requireDot: Bool) -> Bool {
        guard !b.isEmpty, b.count <= 253 else { return false }
        var labelStart = 0
        var dots = 0
        var lastLabelHasLetter = false
        for k in 0...b.count {
            if k == b.count || b[k] == UInt8(ascii: ".") {
                let length = k - labelStart
                guard (1...63).contains(length) else { return false }
                if b[labelStart] == UInt8(ascii: "-") || b[k - 1] == UInt8(ascii: "-") { return false }
                if k < b.count {
                    dots += 1
                    lastLabelHasLetter = false
                }
                labelStart = k + 1
                continue
            }
            let c = b[k]
            if isAlpha(c) || c >= 0x80 {
                lastLabelHasLetter = true
                continue
            }
            if isDigit(c) || c == UInt8(ascii: "-") { continue }
            return false
        }
        return !requireDot || (dots > 0 && lastLabelHasLetter)
    }

    /// Digits with optional spaces, dashes, dots, parentheses and one leading `+`; 3 to 20 digits.
    public static func isPhone(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var digits = 0
        for (k, c) in b.enumerated() {
            if isDigit(c) {
                digits += 1
                continue
            }
            switch c {
            case UInt8(ascii: "+"): if k != 0 { return false }
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"): continue
            default: return false
            }
        }
        return (3...20).contains(digits)
    }

    /// `http://` or `https://`, a host name (or localhost), an optional port, then a path without spaces.
    public static func isURL(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var k: Int
        if hasPrefix(b, "https://") { k = 8 } else if hasPrefix(b, "http://") { k = 7 } else { return false }
        let hostStart = k
        while k < b.count, b[k] != UInt8(ascii: "/"), b[k] != UInt8(ascii: "?"), b[k] != UInt8(ascii: "#") { k += 1 }
        var hostEnd = k
        for c in UnsafeBufferPointer(rebasing: b[k...]) where c <= 0x20 || c == 0x7F { return false }
        if let colon = UnsafeBufferPointer(rebasing: b[hostStart..<hostEnd]).lastIndex(of: UInt8(ascii: ":")) {
            let port = UnsafeBufferPointer(rebasing: b[(hostStart + colon + 1)..<hostEnd])
            guard (1...5).contains(port.count), port.allSatisfy(isDigit), let number = integer(port), number <= 65_535
            else { return false }
            hostEnd = hostStart + colon
        }
        let host = UnsafeBufferPointer(rebasing: b[hostStart..<hostEnd])
        if host.count == 9, hasPrefix(host, "localhost") { return true }
        return isHostName(host, requireDot: true)
    }

    /// Case-insensitive ASCII prefix test.
    @inline(__always) static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard b.count >= n else { return false }
        let p = prefix.utf8Start
        for k in 0..<n where (b[k] | 0x20) != (p[k] | 0x20) { return false }
        return true
    }

    /// Strict `YYYY-MM-DD` on the proleptic Gregorian calendar (2026-02-30 is not a date).
    public static func isDate(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return false }
        guard let y = number(b, 0, 4), let m = number(b, 5, 2), let d = number(b, 8, 2) else { return false }
        return y >= 1 && (1...12).contains(m) && d >= 1 && d <= daysIn(month: m, year: y)
    }

    /// ISO-8601 / RFC 3339 date-time with a required offset: `2026-11-23T09:00:00Z`,
    /// `2026-11-23T09:00:00.250+08:00`.
    public static func isDateTime(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count >= 20, isDate(UnsafeBufferPointer(rebasing: b[0..<10])) else { return false }
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), b[13] == UInt8(ascii: ":"),
            b[16] == UInt8(ascii: ":")
        else { return false }
        guard let h = number(b, 11, 2), let mi = number(b, 14, 2), let s = number(b, 17, 2), h <= 23, mi <= 59, s <= 59
        else { return false }
        var k = 19
        if b[k] == UInt8(ascii: ".") {
            k += 1
            let start = k
            while k < b.count, isDigit(b[k]) { k += 1 }
            if k == start || k - start > 9 { return false }
        }
        guard k < b.count else { return false }
        if b[k] == UInt8(ascii: "Z") || b[k] == UInt8(ascii: "z") { return k + 1 == b.count }
        guard b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-"), k + 6 == b.count, b[k + 3] == UInt8(ascii: ":")
        else { return false }
        guard let oh = number(b, k + 1, 2), let om = number(b, k + 4, 2), oh <= 23, om <= 59 else { return false }
        return true
    }

    @inline(__always) static func number(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ count: Int) -> Int? {
        var v = 0
        for k in at..<at + count {
            guard isDigit(b[k]) else { return nil }
            v = v * 10 + Int(b[k] - 0x30)
        }
        return v
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// An integer literal (no fraction, no exponent) that fits in 64 bits.
    public static func integer(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var k = 0
        var negative = false
        if b.first == UInt8(ascii: "-") {
            negative = true
            k = 1
        }
        guard k < b.count else { return nil }
        var v = 0
        while k < b.count {
            guard isDigit(b[k]) else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) =
                negative
                ? m.subtractingReportingOverflow(Int(b[k] - 0x30)) : m.addingReportingOverflow(Int(b[k] - 0x30))
            if o1 || o2 { return nil }
            v = a
            k += 1
        }
        return v
    }

    /// The value of a JSON number literal.
    public static func double(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        // Fast path, exact: up to 15 digits and no exponent is a mantissa below 2^53
        // divided by a power of ten up to 10^15, which IEEE division rounds correctly.
        if b.count <= 17 {
            var k = 0
            var negative = false
            var mantissa: Int64 = 0
            var digits = 0
            var fraction = -1
            if b.first == UInt8(ascii: "-") {
                negative = true
                k = 1
            }
            while k < b.count {
                let c = b[k]
                if isDigit(c) {
                    mantissa = mantissa * 10 + Int64(c - 0x30)
                    digits += 1
                    if fraction >= 0 { fraction += 1 }
                } else if c == UInt8(ascii: "."), fraction < 0 {
                    fraction = 0
                } else {
                    break
                }
                k += 1
            }
            if k == b.count, digits > 0, digits <= 15 {
                let value = Double(mantissa) / powersOfTen[max(0, fraction)]
                return negative ? -value : value
            }
        }
        guard b.count < 64 else { return Double(String(decoding: b, as: UTF8.self)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: b.count + 1) { buffer -> Double? in
            for k in 0..<b.count { buffer[k] = CChar(bitPattern: b[k]) }
            buffer[b.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            return end == buffer.baseAddress! + b.count ? value : nil
        }
    }

    static let powersOfTen: [Double] = [
        1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    ]

    /// Digits after the decimal point of a JSON number literal, exponent included (`1.5e-3` has 4).
    public static func scale(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var fraction = 0
        var exponent = 0
        var k = 0
        while k < b.count, b[k] != UInt8(ascii: "."), b[k] | 0x20 != UInt8(ascii: "e") { k += 1 }
        if k < b.count, b[k] == UInt8(ascii: ".") {
            k += 1
            var digits = 0
            var lastNonZero = 0
            while k < b.count, isDigit(b[k]) {
                digits += 1
                if b[k] != UInt8(ascii: "0") { lastNonZero = digits }
                k += 1
            }
            fraction = lastNonZero
            _ = digits
        }
        if k < b.count, b[k] | 0x20 == UInt8(ascii: "e") {
            k += 1
            var sign = 1
            if k < b.count, b[k] == UInt8(ascii: "-") {
                sign = -1
                k += 1
            } else if k < b.count, b[k] == UInt8(ascii: "+") {
                k += 1
            }
            var e = 0
            while k < b.count, isDigit(b[k]) {
                e = min(e * 10 + Int(b[k] - 0x30), 10_000)
                k += 1
            }
            exponent = sign * e
        }
        return max(0, fraction - exponent)
    }

    /// A stored file reference: a relative path inside the store, no `..`, no backslash.
    public static func isFileReference(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 1024, !s.hasPrefix("/"), !s.contains("\\") else { return false }
        if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\u{7F}" }) { return false }
        return s.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }
}
