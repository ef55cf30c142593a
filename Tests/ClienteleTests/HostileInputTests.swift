import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// Expressions and patterns against hostile input: limits with a place, linear time,
/// and seeded fuzzing. CLIENTELE_FUZZ sets how many inputs each fuzz test tries
/// (default 5,000; .ci/run: 100,000; the documented run uses 1,000,000), CLIENTELE_FUZZ_SEED the seed.
@Suite("Expressions and patterns survive hostile input")
struct HostileInputTests {
    static var fuzzCount: Int { ProcessInfo.processInfo.environment["CLIENTELE_FUZZ"].flatMap(Int.init) ?? 5_000 }
    static var seed: UInt64 { ProcessInfo.processInfo.environment["CLIENTELE_FUZZ_SEED"].flatMap(UInt64.init) ?? 12 }

    func parseError(_ text: String) -> ExpressionError? {
        do {
            _ = try ExpressionParser.parse(text)
            return nil
        } catch { return error }
    }

    @Test("deep nesting and long expressions are refused with their place, never a crashed stack")
    func expressionLimits() {
        let nots = String(repeating: "not ", count: 10_000) + "true"
        #expect(parseError(nots)?.message.contains("nests more than 256 levels") == true)
        #expect(parseError(nots)?.offset == 256 * 4, "the place is the 257th 'not'")
        let parentheses = String(repeating: "(", count: 40_000) + "true" + String(repeating: ")", count: 40_000)
        #expect(parseError(parentheses)?.message.contains("more than the 65536 allowed") == true)
        let nested = String(repeating: "(", count: 300) + "true" + String(repeating: ")", count: 300)
        #expect(parseError(nested)?.message.contains("nests more than 256 levels") == true)
        #expect(parseError(nested)?.offset == 256)
        let ors = Array(repeating: "customer.level == \"A\"", count: 200_000).joined(separator: " or ")
        #expect(parseError(ors)?.message.contains("characters long") == true)
        let chain = Array(repeating: "true", count: 300).joined(separator: " or ")
        #expect(parseError(chain)?.message.contains("use 'in [...]'") == true)
        let fine =
            String(repeating: "not ", count: 100) + "("
            + Array(repeating: "true", count: 100).joined(separator: " and ") + ")"
        #expect(parseError(fine) == nil)
    }

    @Test("a --where that nests too deeply is refused through the policy, with its place")
    func whereLimits() throws {
        let config = try #require(
            Pipeline.compile(directory: TestPaths.examples.appendingPathComponent("sales")).config)
        let deep = String(repeating: "not ", count: 5_000) + "true"
        #expect(throws: ExpressionError.self) { _ = try config.access.filter(deep, model: config.model) }
    }

    @Test("patterns match the whole value like the usual engines do")
    func patternSemantics() throws {
        let cases: [(String, [String], [String])] = [
            ("[A-Z]{2}-[0-9]+", ["AB-1", "ZZ-0099"], ["ab-1", "AB-", " AB-1", "AB-1x"]),
            ("a|bc", ["a", "bc"], ["ab", "abc", ""]),
            ("(ab)*c?", ["", "ab", "ababc", "c"], ["a", "abca"]),
            ("\\d{3}(-\\d{4})?", ["123", "123-4567"], ["12", "123-45"]),
            ("[^,;]+", ["a b", "é"], ["a,b", ""]),
            ("\\w+@\\w+\\.com", ["li@example.com"], ["li@example.org", "@example.com"]),
            ("^x.y$", ["xay"], ["x\ny", "xy"]),
            ("a{2,3}", ["aa", "aaa"], ["a", "aaaa"]),
            ("a{2,}", ["aa", "aaaaa"], ["a"]),
            ("[a\\-z]", ["a", "-", "z"], ["b"]),
            ("\\.", ["."], ["a"]),
            ("(?:ab|a)(?:bc|c)", ["abc", "abbc"], ["ab", "abcc"]),
            ("a{,2}", ["a{,2}"], ["aa"]),
        ]
        for (source, valid, invalid) in cases {
            let pattern = try Pattern(source)
            for v in valid { #expect(pattern.matches(v), "\(source) matches \(v.debugDescription)") }
            for v in invalid { #expect(!pattern.matches(v), "\(source) does not match \(v.debugDescription)") }
        }
    }

    @Test("patterns that need backtracking or another engine are refused with their place")
    func unsupportedPatterns() {
        let refused: [(String, String, Int)] = [
            ("(a)\\1", "not supported", 3), ("(?=a)a", "'(?' groups", 0), ("\\bword", "not supported", 0),
            ("[[:alpha:]]", "POSIX", 1),
            ("a{5,2}", "larger count comes second", 1), ("a{2000}", "above 1000", 1), ("(ab", "not closed", 0),
            ("ab)", "no group is open", 2),
            ("*a", "nothing to repeat", 0), ("[z-a]", "runs backwards", 3), ("a++", "possessive", 2),
            ("[abc", "not closed", 0),
            ("(a{1000}){1000}", "too large", 0), ("ab\\", "cannot end", 2), ("x{1}{2}", "cannot follow another", 4),
            (String(repeating: "a*", count: 1) + String(repeating: "*", count: 4_000), "cannot follow another", 2),
            ("[*-[ab]]", "nested classes", 3),
        ]
        for (source, message, offset) in refused {
            do {
                _ = try Pattern(source)
                Issue.record("\(source) was accepted")
            } catch {
                #expect(error.message.contains(message), "\(source): \(error.message)")
                #expect(error.offset == offset, "\(source): at \(error.offset)")
            }
        }
    }

    @Test("a 10,000-character value against (a+)+$ is answered at once")
    func catastrophicPattern() throws {
        let pattern = try Pattern("(a+)+$")
        let value = String(repeating: "a", count: 10_000) + "!"
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(!pattern.matches(value)) }
        #expect(pattern.matches(String(repeating: "a", count: 10_000)))
        print("(a+)+$ against 10,001 characters: \(elapsed)")
    }

    /// Random patterns over a small alphabet, each compared with NSRegularExpression on short
    /// values (short enough that its backtracking is no matter): the same answer every time.
    @Test("patterns agree with NSRegularExpression on random patterns and values; no input crashes")
    func patternFuzz() throws {
        var rng = SplitMix(state: Self.seed)
        let pieces = [
            "a", "b", ".", "[ab]", "[^a]", "\\d", "1", "(", ")", "|", "*", "+", "?", "{1,2}", "{2}", "(?:", "^", "$",
            "\\", "[", "]", "{", "-",
        ]
        let letters: [Character] = ["a", "b", "1", "\n"]
        var compared = 0
        var refused = 0
        let clock = ContinuousClock()
        var slowest = Duration.zero
        for _ in 0..<Self.fuzzCount {
            let source = (0..<Int(rng.next() % 8 + 1)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }
                .joined()
            let value = String((0..<Int(rng.next() % 7)).map { _ in letters[Int(rng.next() % UInt64(letters.count))] })
            guard let pattern = try? Pattern(source) else {
                refused += 1
                continue
            }
            var mine = false
            let elapsed = clock.measure { mine = pattern.matches(value) }
            if elapsed > slowest { slowest = elapsed }
            // NSRegularExpression's `$` also matches before a final line break; a pattern here matches the whole value.
            if source.contains("$") && value.contains("\n") { continue }
            guard let icu = try? NSRegularExpression(pattern: "\\A(?:" + source + ")\\z") else { continue }
            let theirs = icu.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
            #expect(
                mine == theirs,
                "\(source.debugDescription) on \(value.debugDescription): \(mine) but NSRegularExpression says \(theirs)"
            )
            compared += 1
        }
        print(
            "pattern fuzz: \(Self.fuzzCount) inputs, \(compared) compared with NSRegularExpression, \(refused) refused, slowest match \(slowest)"
        )
    }

    /// Random token soup, deep nesting and long chains through the parser and the compiler:
    /// each is compiled or refused with a message, never a crash.
    @Test("expressions from random tokens are compiled or refused, never a crash")
    func expressionFuzz() throws {
        let config = try #require(
            Pipeline.compile(directory: TestPaths.examples.appendingPathComponent("sales")).config)
        var rng = SplitMix(state: Self.seed &+ 1)
        let tokens = [
            "not ", "(", ")", "[", "]", ",", " and ", " or ", " == ", " != ", " < ", " in ", " contains ",
            "customer.level", "\"A\"",
            "'B'", "1", "-2.5", "30d", "user.roles", "\"admin\"", "manages(customer.account_executive)",
            "account_executive", "true",
            "null", "customer.budget", ".", ":", "days_since(customer.created_at)", "now", "\"", "&&", "=", "!", "x",
            "é",
        ]
        var compiled = 0
        var refused = 0
        let clock = ContinuousClock()
        var slowest = Duration.zero
        for n in 0..<Self.fuzzCount {
            var text: String
            switch n % 50 {
            case 0: text = String(repeating: tokens[Int(rng.next() % 3)], count: Int(rng.next() % 2_000)) + "true"
            case 1:
                text = Array(repeating: "customer.level == \"A\"", count: Int(rng.next() % 400 + 1)).joined(
                    separator: rng.next() % 2 == 0 ? " or " : " and ")
            default:
                text = (0..<Int(rng.next() % 24 + 1)).map { _ in tokens[Int(rng.next() % UInt64(tokens.count))] }
                    .joined()
            }
            let elapsed = clock.measure {
                if (try? config.access.filter(text, model: config.model)) != nil { compiled += 1 } else { refused += 1 }
            }
            if elapsed > slowest { slowest = elapsed }
        }
        #expect(compiled + refused == Self.fuzzCount)
        print("expression fuzz: \(Self.fuzzCount) inputs, \(compiled) compiled, \(refused) refused, slowest \(slowest)")
    }
}
