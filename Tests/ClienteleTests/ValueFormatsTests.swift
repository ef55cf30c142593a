import ClienteleTestSupport
import Testing

@testable import ClienteleCore

@Suite("Value formats: control and invisible characters")
struct ValueFormatsTests {
    static func control(_ text: String) -> UInt32? {
        Array(text.utf8).withUnsafeBufferPointer(ValueFormats.controlCharacter)
    }

    static func invisible(_ text: String) -> UInt32? {
        Array(text.utf8).withUnsafeBufferPointer(ValueFormats.invisibleCharacter)?.value
    }

    @Test("a control character is found at every place of a word, and tab, line breaks and U+00A0 are text")
    func controlsAtEveryPlace() {
        let plain = "abcdefghijklmnopqrstuvwxyz0123456789"
        #expect(Self.control(plain) == nil)
        #expect(Self.control("a\tb\nc\r\nd\u{A0}e\u{C2}f é ü Ω 漢字") == nil)
        for place in 0...plain.count {
            for (character, code) in [
                ("\u{0}", 0), ("\u{1B}", 0x1B), ("\u{7F}", 0x7F), ("\u{85}", 0x85), ("\u{9F}", 0x9F),
            ] {
                var text = plain
                text.insert(contentsOf: character, at: text.index(text.startIndex, offsetBy: place))
                #expect(Self.control(text) == UInt32(code), "\(code) at \(place)")
            }
        }
        // The same, against a random reference, over mixed text.
        var random = SplitMix(state: 7)
        let alphabet: [UInt8] = Array("ab \t\n\r".utf8) + [0x00, 0x1F, 0x7F, 0xC2, 0xA0, 0x85, 0xC3, 0xA9]
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
            }
            var expected: UInt32?
            for k in bytes.indices {
                let c = bytes[k]
                if (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D) || c == 0x7F {
                    expected = UInt32(c)
                    break
                }
                if c == 0xC2, k + 1 < bytes.count, (0x80...0x9F).contains(bytes[k + 1]) {
                    expected = UInt32(bytes[k + 1])
                    break
                }
            }
            #expect(bytes.withUnsafeBufferPointer(ValueFormats.controlCharacter) == expected, "\(bytes)")
        }
    }

    @Test("an e-mail address refuses characters that show nothing and keeps letters of every script")
    func invisibleInAddresses() {
        #expect(Self.invisible("josé@exämple.com") == nil)
        #expect(Self.invisible("a b@example.com") == nil, "ASCII is judged by the address's own rules")
        for code in [0x200B, 0x200D, 0xFEFF, 0x3164, 0x115F, 0xFE0F, 0x034F, 0x00A0, 0x2028, 0xE000] {
            let text = "vip@example.com" + String(Character(Unicode.Scalar(UInt32(code))!))
            #expect(Self.invisible(text) == UInt32(code), "U+\(String(code, radix: 16))")
            #expect(!Array(text.utf8).withUnsafeBufferPointer(ValueFormats.isEmail))
        }
        #expect(Array("josé@exämple.com".utf8).withUnsafeBufferPointer(ValueFormats.isEmail))
    }
}
