/// ISO-8601 date-times (with an offset) and dates, as seconds since 1970.
package enum Timestamp {
    package static func parse(_ s: String) -> Double? {
        var bytes = Array(s.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> Double? in
            let b = UnsafeBufferPointer(buffer)
            if ValueFormats.isDate(b) { return seconds(b, time: false) }
            if ValueFormats.isDateTime(b) { return seconds(b, time: true) }
            return nil
        }
    }

    static func seconds(_ b: UnsafeBufferPointer<UInt8>, time: Bool) -> Double {
        func n(_ at: Int, _ count: Int) -> Int { ValueFormats.number(b, at, count) ?? 0 }
        let y = n(0, 4), m = n(5, 2), d = n(8, 2)
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
            var fraction = 0.0, scale = 0.1
            while k < b.count, ValueFormats.isDigit(b[k]) { fraction += Double(b[k] - 0x30) * scale; scale /= 10; k += 1 }
            seconds += fraction
        }
        if b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-") {
            let offset = Double(n(k + 1, 2) * 3600 + n(k + 4, 2) * 60)
            seconds += b[k] == UInt8(ascii: "+") ? -offset : offset
        }
        return seconds
    }
}
