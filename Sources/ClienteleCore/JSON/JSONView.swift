#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Read access to a parsed tape and the bytes it points into; valid only inside
/// `JSONTape.withView`, which pins both.
public struct JSONView {
    /// The tape's tokens, one per value, in document order.
    public let tokens: UnsafeBufferPointer<JSONTape.Token>
    /// The bytes the tokens point into.
    public let bytes: UnsafeBufferPointer<UInt8>

    /// The token of value `i`.
    @inlinable public func token(_ i: Int) -> JSONTape.Token { tokens[i] }
    /// What kind of value `i` is.
    @inlinable public func kind(_ i: Int) -> JSONTape.Kind { tokens[i].kind }
    /// The index of the value after value `i` and its children.
    @inlinable public func next(_ i: Int) -> Int { Int(tokens[i].next) }

    /// The raw bytes of a string's contents or a number's literal.
    @inlinable public func raw(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let t = tokens[i]
        return UnsafeBufferPointer(start: bytes.baseAddress.map { $0 + Int(t.start) }, count: Int(t.end - t.start))
    }

    /// Calls `body` with the decoded UTF-8 bytes of a string token.
    @inlinable public func withString<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let t = tokens[i]
        if !t.escaped { return body(raw(i)) }
        let decoded = Array(string(i).utf8)
        return decoded.withUnsafeBufferPointer(body)
    }

    /// A string token's text, escapes decoded; a number's or literal's text otherwise.
    public func string(_ i: Int) -> String {
        let t = tokens[i]
        let r = raw(i)
        guard t.escaped else { return String(decoding: r, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(r.count)
        func hex4(_ at: Int) -> UInt32 {
            var v: UInt32 = 0
            for j in at..<at + 4 {
                let b = r[j]
                let d: UInt8 = b <= 0x39 ? b - 0x30 : (b | 0x20) - 0x61 + 10
                v = v << 4 | UInt32(d)
            }
            return v
        }
        func append(_ scalar: Unicode.Scalar) { out.append(contentsOf: UTF8.encode(scalar)!) }
        var pendingHigh: UInt32?
        var k = 0
        while k < r.count {
            let b = r[k]
            guard b == UInt8(ascii: "\\") else {
                if pendingHigh != nil {
                    append("\u{FFFD}")
                    pendingHigh = nil
                }
                out.append(b)
                k += 1
                continue
            }
            let e = r[k + 1]
            k += 2
            let scalar: UInt32
            switch e {
            case UInt8(ascii: "b"): scalar = 8
            case UInt8(ascii: "f"): scalar = 12
            case UInt8(ascii: "n"): scalar = 10
            case UInt8(ascii: "r"): scalar = 13
            case UInt8(ascii: "t"): scalar = 9
            case UInt8(ascii: "u"):
                scalar = hex4(k)
                k += 4
            default: scalar = UInt32(e)
            }
            if (0xD800...0xDBFF).contains(scalar) {
                if pendingHigh != nil { append("\u{FFFD}") }
                pendingHigh = scalar
            } else if (0xDC00...0xDFFF).contains(scalar), let high = pendingHigh {
                append(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (scalar - 0xDC00)) ?? "\u{FFFD}")
                pendingHigh = nil
            } else {
                if pendingHigh != nil {
                    append("\u{FFFD}")
                    pendingHigh = nil
                }
                append(Unicode.Scalar(scalar) ?? "\u{FFFD}")
            }
        }
        if pendingHigh != nil { append("\u{FFFD}") }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares a string token with `expected` without allocating (when unescaped).
    public func stringEquals(_ i: Int, _ expected: StaticString) -> Bool {
        withString(i) { b in
            b.count == expected.utf8CodeUnitCount && memcmp(b.baseAddress!, expected.utf8Start, b.count) == 0
        }
    }

    /// Converts the value at `i` (and its children) to a `JSONValue`.
    public func value(_ i: Int) -> JSONValue {
        switch kind(i) {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .number: return .number(string(i))
        case .string: return .string(string(i))
        case .array:
            var items: [JSONValue] = []
            var j = i + 1
            while j < next(i) {
                items.append(value(j))
                j = next(j)
            }
            return .array(items)
        case .object:
            var members: [(String, JSONValue)] = []
            var j = i + 1
            while j < next(i) {
                members.append((string(j), value(j + 1)))
                j = next(j + 1)
            }
            return .object(members)
        }
    }
}

extension JSONValue {
    /// Parses JSON text strictly; `refusingLoneSurrogates` for input from outside
    /// (see `JSONTape.refusesLoneSurrogates`).
    public static func parse(_ text: String, refusingLoneSurrogates: Bool = false) throws(JSONTape.SyntaxError)
        -> JSONValue
    {
        var tape = JSONTape(refusesLoneSurrogates: refusingLoneSurrogates)
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(JSONTape.SyntaxError) -> JSONValue in
            try tape.parse(buffer)
            return tape.withView(bytes: buffer) { $0.value(0) }
        }
    }
}

extension JSONTape {
    /// Reads the parsed tape; `bytes` must be the bytes it was parsed from.
    @inline(__always)
    public func withView<R>(bytes: UnsafeBufferPointer<UInt8>, _ body: (JSONView) throws -> R) rethrows -> R {
        try tokens.withUnsafeBufferPointer { try body(JSONView(tokens: $0, bytes: bytes)) }
    }
}
