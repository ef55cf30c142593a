/// A strict JSON parser (RFC 8259) that records one token per value in a flat,
/// reusable tape instead of building objects, so that validating a record
/// allocates nothing. Tokens point into the caller's bytes.
public struct JSONTape: Sendable {
    /// What a token holds.
    public enum Kind: UInt8, Sendable { case object, array, string, number, `true`, `false`, null }

    /// One value of the parsed text.
    public struct Token: Sendable {
        /// What the value is.
        public var kind: Kind
        /// A string token holding backslash escapes (its bytes need decoding).
        public var escaped: Bool
        /// Byte range of a string's contents (without quotes) or of a number's literal.
        public var start: Int32
        /// End of the byte range (exclusive).
        public var end: Int32
        /// The index of the token that follows this value (and its children).
        public var next: Int32
        /// Members of an object, or items of an array.
        public var count: Int32
    }

    /// Why the text is not JSON, and where.
    public struct SyntaxError: Error, Sendable, Equatable {
        /// What is wrong, in words.
        public var message: String
        /// Byte offset in the parsed text.
        public var offset: Int
    }

    /// The tokens of the text parsed last, the whole document first.
    public private(set) var tokens: [Token] = []
    /// How deeply arrays and objects may nest: deeper text is refused, never recursed into.
    public static let maximumDepth = 64

    /// Whether a `\\u` escape of a lone UTF-16 surrogate is refused. Input taken from
    /// outside (a request's body) refuses it; stored documents, which may hold one
    /// from before, read it as U+FFFD.
    public var refusesLoneSurrogates = false

    /// An empty tape, reused for every document parsed into it.
    public init(refusesLoneSurrogates: Bool = false) {
        self.refusesLoneSurrogates = refusesLoneSurrogates
        tokens.reserveCapacity(256)
    }

    /// Parses one complete JSON text (surrounding white space allowed).
    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) {
        tokens.removeAll(keepingCapacity: true)
        var parser = Parser(bytes: bytes, tokens: tokens)
        parser.refusesLoneSurrogates = refusesLoneSurrogates
        tokens = []
        defer { tokens = parser.tokens }
        parser.skipSpace()
        try parser.value(depth: 0)
        parser.skipSpace()
        if parser.i < bytes.count {
            throw SyntaxError(
                message: "unexpected \(Parser.describe(bytes[parser.i])) after the JSON value", offset: parser.i)
        }
    }

    private struct Parser {
        /// The input, read through a pointer: every index is checked against `count` by the grammar.
        let bytes: UnsafePointer<UInt8>
        let count: Int
        var tokens: [Token]
        var i = 0
        var refusesLoneSurrogates = false

        init(bytes: UnsafeBufferPointer<UInt8>, tokens: [Token]) {
            self.bytes = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
            self.count = bytes.count
            self.tokens = tokens
        }

        static func describe(_ b: UInt8) -> String {
            if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
            return "byte 0x\(String(b, radix: 16))"
        }

        @inline(__always) mutating func skipSpace() {
            while i < count {
                let b = bytes[i]
                if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
            }
        }

        func fail(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: i) }

        mutating func value(depth: Int) throws(SyntaxError) {
            guard i < count else { throw fail("the JSON text ends where a value was expected") }
            switch bytes[i] {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true", .true)
            case UInt8(ascii: "f"): try literal("false", .false)
            case UInt8(ascii: "n"): try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw fail("unexpected \(Self.describe(bytes[i])) where a value was expected")
            }
        }

        mutating func literal(_ word: StaticString, _ kind: Kind) throws(SyntaxError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= count else { throw fail("unexpected end of the JSON text") }
            let w = word.utf8Start
            for k in 0..<n where bytes[i + k] != w[k] {
                throw fail("unexpected \(Self.describe(bytes[i])) where a value was expected")
            }
            let index = Int32(tokens.count)
            tokens.append(
                Token(kind: kind, escaped: false, start: Int32(i), end: Int32(i + n), next: index + 1, count: 0))
            i += n
        }

        mutating func number() throws(SyntaxError) {
            let start = i
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < count, isDigit(bytes[i]) else { throw fail("a number needs digits") }
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
                if i < count, isDigit(bytes[i]) { throw fail("a number may not start with 0") }
            } else {
                while i < count, isDigit(bytes[i]) { i += 1 }
            }
            if i < count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard i < count, isDigit(bytes[i]) else { throw fail("a number needs digits after its decimal point") }
                while i < count, isDigit(bytes[i]) { i += 1 }
            }
            if i < count, bytes[i] | 0x20 == UInt8(ascii: "e") {
                i += 1
                if i < count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard i < count, isDigit(bytes[i]) else { throw fail("a number needs digits in its exponent") }
                while i < count, isDigit(bytes[i]) { i += 1 }
            }
            let index = Int32(tokens.count)
            tokens.append(
                Token(kind: .number, escaped: false, start: Int32(start), end: Int32(i), next: index + 1, count: 0))
        }

        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

        mutating func string() throws(SyntaxError) {
            i += 1
            let start = i
            var escaped = false
            while true {
                // Eight bytes at a time: find the first quote, backslash, control or
                // non-ASCII byte and jump to it (bytes are little-endian in the word).
                if i + 8 <= count {
                    let v = UnsafeRawPointer(bytes + i).loadUnaligned(as: UInt64.self)
                    let ones: UInt64 = 0x0101_0101_0101_0101
                    let highs: UInt64 = 0x8080_8080_8080_8080
                    let quote = v ^ (ones &* 0x22)
                    let backslash = v ^ (ones &* 0x5C)
                    let special =
                        (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((v &- ones &* 0x20) & ~v)
                            | v) & highs
                    if special == 0 {
                        i += 8
                        continue
                    }
                    i += special.trailingZeroBitCount >> 3
                }
                guard i < count else { throw SyntaxError(message: "a string is not closed", offset: start - 1) }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { break }
                if b == UInt8(ascii: "\\") {
                    escaped = true
                    i += 1
                    guard i < count else { throw fail("a string is not closed") }
                    switch bytes[i] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i += 1
                    case UInt8(ascii: "u"):
                        let unit = try hexEscape()
                        // UTF-16 surrogates come in pairs: a lone one is no character.
                        if refusesLoneSurrogates { try pairedSurrogate(unit) }
                    default:
                        throw fail("unknown escape \\\(Character(Unicode.Scalar(bytes[i])))")
                    }
                } else if b < 0x20 {
                    throw fail("a control character (byte 0x\(String(b, radix: 16))) must be escaped inside a string")
                } else if b < 0x80 {
                    i += 1
                } else {
                    try utf8Sequence()
                }
            }
            let index = Int32(tokens.count)
            tokens.append(
                Token(kind: .string, escaped: escaped, start: Int32(start), end: Int32(i), next: index + 1, count: 0))
            i += 1
        }

        /// Refuses `unit` when it is a lone surrogate; reads the low half after a high one.
        mutating func pairedSurrogate(_ unit: UInt32) throws(SyntaxError) {
            if (0xDC00...0xDFFF).contains(unit) {
                throw fail("a \\u escape of a lone low surrogate (\\u\(String(unit, radix: 16)))")
            }
            guard (0xD800...0xDBFF).contains(unit) else { return }
            guard i + 1 < count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                throw fail("a \\u escape of a high surrogate must be followed by its low surrogate")
            }
            i += 1
            guard (0xDC00...0xDFFF).contains(try hexEscape()) else {
                throw fail("a \\u escape of a high surrogate must be followed by its low surrogate")
            }
        }

        /// The four hex digits after the `u` at `i`; `i` moves past them.
        mutating func hexEscape() throws(SyntaxError) -> UInt32 {
            guard i + 4 < count else { throw fail("a \\u escape needs four hex digits") }
            var unit: UInt32 = 0
            for k in 1...4 {
                let b = bytes[i + k]
                guard isHex(b) else { throw fail("a \\u escape needs four hex digits") }
                unit = unit << 4 | UInt32(isDigit(b) ? b - 0x30 : (b | 0x20) - 0x57)
            }
            i += 5
            return unit
        }

        func isHex(_ b: UInt8) -> Bool {
            isDigit(b) || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "f"))
        }

        /// Checks one multi-byte UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
        mutating func utf8Sequence() throws(SyntaxError) {
            let b = bytes[i]
            let n: Int
            var lo: UInt8 = 0x80
            var hi: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: n = 1
            case 0xE0:
                n = 2
                lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: n = 2
            case 0xED:
                n = 2
                hi = 0x9F
            case 0xF0:
                n = 3
                lo = 0x90
            case 0xF1...0xF3: n = 3
            case 0xF4:
                n = 3
                hi = 0x8F
            default: throw fail("invalid UTF-8 (byte 0x\(String(b, radix: 16)))")
            }
            guard i + n < count else { throw fail("invalid UTF-8 at the end of the text") }
            let second = bytes[i + 1]
            guard second >= lo && second <= hi else {
                throw fail("invalid UTF-8 (byte 0x\(String(second, radix: 16)))")
            }
            if n > 1 {
                for k in 2...n where bytes[i + k] & 0xC0 != 0x80 {
                    throw fail("invalid UTF-8 (byte 0x\(String(bytes[i + k], radix: 16)))")
                }
            }
            i += n + 1
        }

        mutating func object(depth: Int) throws(SyntaxError) {
            if depth > JSONTape.maximumDepth {
                throw fail("values are nested more than \(JSONTape.maximumDepth) levels deep")
            }
            let index = tokens.count
            tokens.append(Token(kind: .object, escaped: false, start: Int32(i), end: 0, next: 0, count: 0))
            i += 1
            skipSpace()
            var members: Int32 = 0
            if i < count, bytes[i] == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    guard i < count else { throw fail("an object is not closed") }
                    guard bytes[i] == UInt8(ascii: "\"") else {
                        throw fail("unexpected \(Self.describe(bytes[i])) where a key in quotes was expected")
                    }
                    try string()
                    skipSpace()
                    guard i < count, bytes[i] == UInt8(ascii: ":") else { throw fail("a ':' must follow each key") }
                    i += 1
                    skipSpace()
                    try value(depth: depth)
                    members += 1
                    skipSpace()
                    guard i < count else { throw fail("an object is not closed") }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                        skipSpace()
                        continue
                    }
                    if bytes[i] == UInt8(ascii: "}") {
                        i += 1
                        break
                    }
                    throw fail("unexpected \(Self.describe(bytes[i])) where ',' or '}' was expected")
                }
            }
            tokens[index].end = Int32(i)
            tokens[index].next = Int32(tokens.count)
            tokens[index].count = members
        }

        mutating func array(depth: Int) throws(SyntaxError) {
            if depth > JSONTape.maximumDepth {
                throw fail("values are nested more than \(JSONTape.maximumDepth) levels deep")
            }
            let index = tokens.count
            tokens.append(Token(kind: .array, escaped: false, start: Int32(i), end: 0, next: 0, count: 0))
            i += 1
            skipSpace()
            var members: Int32 = 0
            if i < count, bytes[i] == UInt8(ascii: "]") {
                i += 1
            } else {
                while true {
                    try value(depth: depth)
                    members += 1
                    skipSpace()
                    guard i < count else { throw fail("a list is not closed") }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                        skipSpace()
                        continue
                    }
                    if bytes[i] == UInt8(ascii: "]") {
                        i += 1
                        break
                    }
                    throw fail("unexpected \(Self.describe(bytes[i])) where ',' or ']' was expected")
                }
            }
            tokens[index].end = Int32(i)
            tokens[index].next = Int32(tokens.count)
            tokens[index].count = members
        }
    }
}
