import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore

@Suite("The one time type")
struct TimestampTests {
    @Test("format and parse agree with each other and with Foundation's ISO-8601 formatter")
    func roundTrip() {
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.parse("2026-11-23T09:00:00+01:00").map(Timestamp.format) == "2026-11-23T08:00:00Z")
        #expect(Timestamp.parse("2024-02-29").map(Timestamp.format) == "2024-02-29T00:00:00Z")
        #expect(Timestamp.parseDateTime("2024-02-29") == nil)
        #expect(Timestamp.day(1_795_000_000) == "2026-11-18")
        let foundation = ISO8601DateFormatter()
        var random = SplitMix(state: 2026)
        for _ in 0..<2_000 {
            let seconds = Double(Int64.random(in: -2_000_000_000...8_000_000_000, using: &random))
            let text = Timestamp.format(seconds)
            #expect(text == foundation.string(from: Date(timeIntervalSince1970: seconds)))
            #expect(Timestamp.parse(text) == seconds)
        }
    }
}
