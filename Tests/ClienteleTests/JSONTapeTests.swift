import ClienteleTestSupport
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

@Suite("The strict JSON tape parser")
struct JSONTapeTests {
    @Test(
        "valid JSON round-trips through JSONValue",
        arguments: [
            #"{"a":1,"b":[true,false,null],"c":"x\"y\\z","d":-0.5e+3,"e":{}}"#,
            #"[]"#, #"""#.replacingOccurrences(of: "\"", with: "\"\""), #"0"#, #""\u00e9\ud83d\ude00 é""#,
        ])
    func roundTrip(_ text: String) throws {
        let value = try JSONValue.parse(text)
        #expect(try JSONValue.parse(value.jsonText) == value)
    }

    @Test("escapes are decoded, surrogate pairs included")
    func escapes() throws {
        #expect(try JSONValue.parse(#""a\nb\u0041\ud83d\ude00""#) == .string("a\nbA😀"))
    }

    @Test(
        "invalid JSON is refused with the byte where it went wrong",
        arguments: [
            (#"{"a":1,}"#, 7), (#"{"a" 1}"#, 5), (#"[1,2"#, 4), (#"01"#, 1), (#"1."#, 2), (#""abc"#, 0),
            (#"{"a":tru}"#, 5), ("\"a\tb\"", 2), (#""\x""#, 2), (#"{} x"#, 3), (#"nul"#, 0), (#"-"#, 1),
        ])
    func invalid(_ text: String, offset: Int) {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.offset == offset, "\(text): \(error.message)")
        }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        for bytes: [UInt8] in [
            [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0x80, 0x22],
            [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
        ] {
            var tape = JSONTape()
            let failed = bytes.withUnsafeBufferPointer { (try? tape.parse($0)) == nil }
            #expect(failed, "\(bytes)")
        }
    }

    @Test("long strings are scanned correctly at every alignment")
    func longStrings() throws {
        for pad in 0..<17 {
            let body = String(repeating: "x", count: pad) + "\\\"" + String(repeating: "é", count: pad) + "\u{1}"
            let text = "\"" + body.replacingOccurrences(of: "\u{1}", with: "\\u0001") + "\""
            #expect(
                try JSONValue.parse(text)
                    == .string(String(repeating: "x", count: pad) + "\"" + String(repeating: "é", count: pad) + "\u{1}")
            )
            #expect(
                (try? JSONValue.parse("\"" + String(repeating: "y", count: pad) + "\u{1}\"")) == nil,
                "a raw control character")
        }
    }

    @Test("nesting deeper than the limit is refused, not a crash")
    func deepNesting() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect((try? JSONValue.parse(text)) == nil)
    }
}
