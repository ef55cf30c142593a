import ClienteleTestSupport
import Testing

@testable import ClienteleKit
@testable import ClienteleModel

/// How matching rules compare values: the banded edit distance, and the values compared.
@Suite("Matching rules compare values")
struct DuplicateMatchingTests {
    /// The edit distance, every cell computed.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }

    @Test("the banded comparison agrees with the whole edit distance on random texts")
    func bandedAgrees() {
        var rng = SplitMix(state: 20_261_206)
        let alphabet = Array("abcab ".unicodeScalars)
        for _ in 0..<3_000 {
            let a = (0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            var b = a
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0 where !b.isEmpty: b.remove(at: Int.random(in: 0..<b.count, using: &rng))
                case 1: b.insert(alphabet.randomElement(using: &rng)!, at: Int.random(in: 0...b.count, using: &rng))
                default:
                    if !b.isEmpty { b[Int.random(in: 0..<b.count, using: &rng)] = alphabet.randomElement(using: &rng)! }
                }
            }
            let threshold = [0.5, 0.7, 0.8, 0.9, 1.0].randomElement(using: &rng)!
            let longer = max(a.count, b.count)
            let expected = longer == 0 || Double(Self.distance(a, b)) <= (1 - threshold) * Double(longer) + 1e-9
            #expect(
                CustomerOperations.similarity(a, b, atLeast: threshold) == expected,
                "\(String(String.UnicodeScalarView(a))) / \(String(String.UnicodeScalarView(b))) at \(threshold)")
        }
    }

    @Test("a long text is compared on its beginning, in bounded time")
    func longTexts() {
        let a = Array(String(repeating: "abcdefghij", count: 1_000).unicodeScalars)
        var b = a
        b[5_000] = "z"
        #expect(CustomerOperations.similarity(a, b, atLeast: 0.9))
        #expect(
            !CustomerOperations.similarity(a, Array(String(repeating: "z", count: 10_000).unicodeScalars), atLeast: 0.9)
        )
    }

    @Test("values compare composed, without invisible characters; digits without a digit are no value")
    func values() {
        #expect(DuplicateKey.value("Cafe\u{301}", .lowercase) == DuplicateKey.value("Café", .lowercase))
        #expect(DuplicateKey.value("Zo\u{200B}e", .lowercase) == "zoe")
        #expect(DuplicateKey.value("\u{FEFF}Zoe\u{200F}", .trim) == "Zoe")
        #expect(DuplicateKey.value("+", .digits) == nil)
        #expect(DuplicateKey.value("+John", .digits) == nil)
        #expect(DuplicateKey.value(" ", .trim) == nil)
        #expect(DuplicateKey.value("(555) 123-4567", .digits) == "5551234567")
    }
}
