#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one time type of the code base: ISO-8601 date-times (with an offset) and
/// dates, as seconds since 1970; one parser, one formatter. Documents and the log
/// hold the text (`2026-11-23T09:00:00Z`), the rules and the pools compute with seconds.
public enum Timestamp {
    /// A date (`2026-11-23`, midnight UTC) or a date-time with an offset, as seconds; nil otherwise.
    public static func parse(_ s: String) -> Double? {
        var bytes = Array(s.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> Double? in
            let b = UnsafeBufferPointer(buffer)
            if ValueFormats.isDate(b) { return seconds(b, time: false) }
            if ValueFormats.isDateTime(b) { return seconds(b, time: true) }
            return nil
        }
    }

    /// A date-time with an offset only (what `--now` takes); a bare date is nil.
    public static func parseDateTime(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { ValueFormats.isDateTime($0) ? seconds($0, time: true) : nil }
    }

    /// Seconds as a UTC date-time, `2026-11-23T09:00:00Z` (whole seconds).
    /// Times outside years 1 to 9999 are written as the nearest end of that range.
    public static func format(_ seconds: Double) -> String {
        let clamped = seconds.isNaN ? 0 : Swift.min(Swift.max(seconds, -62_135_596_800), 253_402_300_799)
        let total = Int(clamped.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let inDay = total - days * 86_400
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(y)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year
            + "-\(two(m))-\(two(d))T\(two(inDay / 3600)):\(two(inDay % 3600 / 60)):\(two(inDay % 60))Z"
    }

    /// The current time, formatted.
    public static func now() -> String {
        format(currentSeconds())
    }

    /// When this process started (seconds since 1970): what `now` is in a decision
    /// that is given no time. Read once, so that a decision costs no clock call; a
    /// process that runs for long (a service) passes the time of each request.
    public static let processStart = currentSeconds()

    /// The current time in seconds since 1970 (what `now` is in rules, unless a
    /// command is given another time).
    public static func currentSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// The day of a time, `2026-11-23` (UTC).
    public static func day(_ seconds: Double) -> String {
        String(format(seconds).prefix(10))
    }

    static func seconds(_ b: UnsafeBufferPointer<UInt8>, time: Bool) -> Double {
        func n(_ at: Int, _ count: Int) -> Int { ValueFormats.number(b, at, count) ?? 0 }
        let y = n(0, 4)
        let m = n(5, 2)
        let d = n(8, 2)
        // Days from civil (Howard Hinnant's algorithm).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        var seconds = Double(days) * 86_400
        guard time else { return seconds }
        seconds += Double(n(11, 2) * 3600 + n(14, 2) * 60 + n(17, 2))
        var k = 19
        if b[k] == UInt8(ascii: ".") {
            k += 1
            var fraction = 0.0
            var scale = 0.1
            while k < b.count, ValueFormats.isDigit(b[k]) {
                fraction += Double(b[k] - 0x30) * scale
                scale /= 10
                k += 1
            }
            seconds += fraction
        }
        if b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-") {
            let offset = Double(n(k + 1, 2) * 3600 + n(k + 4, 2) * 60)
            seconds += b[k] == UInt8(ascii: "+") ? -offset : offset
        }
        return seconds
    }
}
