import ClienteleTestSupport
import Testing

@testable import ClienteleCore

@Suite("The line splitter")
struct LinesTests {
    func lines(_ text: String, from: Int = 0, to: Int? = nil) -> [String] {
        Array(text.utf8).withUnsafeBufferPointer { bytes in
            Lines(bytes, from: from, to: to).map {
                String(decoding: $0.bytes, as: UTF8.self) + ($0.hasNewline ? "⏎" : "")
            }
        }
    }

    @Test("lines end before their newline; a last line without one is still a line")
    func splits() {
        #expect(lines("").isEmpty)
        #expect(lines("\n") == ["⏎"])
        #expect(lines("a\nb") == ["a⏎", "b"])
        #expect(lines("a\nb\n") == ["a⏎", "b⏎"])
        #expect(lines("a\n\nb\r\n") == ["a⏎", "⏎", "b\r⏎"])
    }

    @Test("a range of the buffer, numbered from where the walk starts, with offsets into the whole buffer")
    func range() {
        #expect(lines("aa\nbb\ncc\n", from: 3, to: 7) == ["bb⏎", "c"])
        let found = Array("aa\nbb\ncc".utf8).withUnsafeBufferPointer { bytes in
            Lines(bytes, from: 3).map { ($0.number, $0.start, $0.end) }
        }
        #expect(found.map(\.0) == [1, 2])
        #expect(found.map(\.1) == [3, 6])
        #expect(found.map(\.2) == [5, 8])
    }

    @Test("seeking back reads lines again")
    func seek() {
        let read = Array("a\nb\nc\n".utf8).withUnsafeBufferPointer { bytes -> [String] in
            var lines = Lines(bytes)
            var out: [String] = []
            var sought = false
            while let line = lines.next() {
                out.append(String(decoding: line.bytes, as: UTF8.self))
                if out.count == 2, !sought {
                    lines.seek(to: 0)
                    sought = true
                }
            }
            return out
        }
        #expect(read == ["a", "b", "a", "b", "c"])
    }
}
