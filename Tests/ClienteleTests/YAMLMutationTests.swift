import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// A seeded mutation test of the whole front end (libyaml, Node, Declarations,
/// Model, validators): mutated configs must give diagnostics, never a crash or a hang.
/// CLIENTELE_MUTATIONS sets how many inputs (default 20,000; .ci/run: 300,000); CLIENTELE_MUTATION_SEED the seed.
@Suite("The YAML layer survives mutated input")
struct YAMLMutationTests {
    static let tokens: [[UInt8]] = [
        ":", ": ", "- ", "-", "&a ", "*a", "&b ", "*b", "[", "]", "{", "}", ",", "---\n", "...\n", "\"", "'",
        "|\n", ">-\n", "\t", "\n", "\n  ", "    ", "!!str ", "!!int ", "!x ", "? ", "#", "%YAML 1.2\n",
        "true", "null", "~", "0x1F", "1e9", "\\u0000", "\u{FEFF}", "é", "\u{1F600}", "<<: *a\n",
        "id: x\n", "identity: a\n", "type: relate\n", "tree: t.txt\n",
    ].map { Array($0.utf8) }

    static func seeds() -> [[UInt8]] {
        var result: [[UInt8]] = []
        let roots = [TestPaths.examples, TestPaths.fixtures.appendingPathComponent("invalid")]
        for root in roots {
            let enumerator = FileManager.default.enumerator(atPath: root.path)
            while let path = enumerator?.nextObject() as? String {
                guard path.hasSuffix(".yaml") else { continue }
                if let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path) {
                    result.append(Array(data))
                }
            }
        }
        return result
    }

    static func mutate(_ input: [UInt8], _ seeds: [[UInt8]], _ rng: inout SplitMix) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)
            case 2 where !bytes.isEmpty:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &rng)))
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, at + Int.random(in: 1...64, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            case 4:
                let other = seeds.randomElement(using: &rng)!
                if !other.isEmpty {
                    let from = Int.random(in: 0..<other.count, using: &rng)
                    bytes.insert(contentsOf: other[from..<min(other.count, from + 80)], at: at)
                }
            default:
                if !bytes.isEmpty { bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng) }
            }
        }
        return bytes
    }

    @Test("mutated configs give diagnostics, never a crash")
    func mutations() throws {
        let env = ProcessInfo.processInfo.environment
        let count = env["CLIENTELE_MUTATIONS"].flatMap(Int.init) ?? 20_000
        var rng = SplitMix(state: env["CLIENTELE_MUTATION_SEED"].flatMap(UInt64.init) ?? 20_261_123)
        let seeds = Self.seeds()
        try #require(seeds.count > 50)
        var parsed = 0
        var diagnosed = 0
        var misplaced: [String] = []
        for k in 0..<count {
            let input = Self.mutate(seeds[k % seeds.count], seeds, &rng)
            let text = String(decoding: input, as: UTF8.self)
            // Most inputs go through the YAML layer alone; every 20th through the whole front end.
            if k % 20 == 0 {
                let loaded = ConfigLoader().load(
                    sources: [("clientele.yaml", "version: 1\nextends: [standard-fields]\n"), ("m.yaml", text)],
                    readTree: { _ in "A/B/C\n" })
                let (config, diagnostics, files) = Pipeline.compile(loaded)
                if config == nil {
                    diagnosed += 1
                    _ = DiagnosticRenderer(files: files).render(diagnostics)
                }
                misplaced += diagnostics.compactMap { Self.outside($0, files) }.prefix(1).map {
                    "\($0) in input \(k): \(text.debugDescription)"
                }
            } else {
                let (node, diagnostics) = YAMLParser.parse(text, displayPath: "m.yaml")
                if node != nil { parsed += 1 }
                if !diagnostics.isEmpty { diagnosed += 1 }
                var files = SourceFiles()
                files.add(SourceFile(displayPath: "m.yaml", text: text))
                misplaced += diagnostics.compactMap { Self.outside($0, files) }.prefix(1).map {
                    "\($0) in input \(k): \(text.debugDescription)"
                }
            }
            if misplaced.count >= 5 { break }
        }
        #expect(misplaced.isEmpty, "diagnostics located outside their input: \(misplaced.joined(separator: "; "))")
        #expect(parsed > count / 10, "the mutations should not all be unparsable")
        #expect(diagnosed > count / 10, "nor all valid")
    }

    /// What is wrong with where `diagnostic` (or one of its notes) points, when it
    /// points outside the files it names: a file that was not read, a line past the
    /// end, a column past the end of its line. Nil when every location is inside (the
    /// end of a file or of a line counts as inside).
    static func outside(_ diagnostic: Diagnostic, _ files: SourceFiles) -> String? {
        for location in [diagnostic.location] + diagnostic.notes.map(\.location) {
            guard let location else { continue }
            guard let file = files[location.file] else {
                return "\(location): a file that was not read (\(diagnostic.message))"
            }
            // Line breaks as YAML counts them: LF, CRLF and a lone CR.
            var lengths: [Int] = [0]
            var previous: UInt8 = 0
            for byte in file.text.utf8 {
                if byte == 0x0A, previous == 0x0D {
                    previous = byte
                    continue
                }
                if byte == 0x0A || byte == 0x0D { lengths.append(0) } else { lengths[lengths.count - 1] += 1 }
                previous = byte
            }
            guard (1...lengths.count + 1).contains(location.line) else {
                return "\(location): line \(location.line) of \(lengths.count) (\(diagnostic.message))"
            }
            let length = location.line <= lengths.count ? lengths[location.line - 1] : 0
            guard (1...length + 1).contains(location.column) else {
                return "\(location): column \(location.column) of a line of \(length) bytes (\(diagnostic.message))"
            }
        }
        return nil
    }
}
