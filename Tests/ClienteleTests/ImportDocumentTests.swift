import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// The documents an import stores: the row's own keys, what the validator that
/// accepted it implies, defaults, normalised values and the store's own keys.
@Suite("Import documents")
struct ImportDocumentTests {
    let config: CompiledConfig
    let builder: ImportDocumentBuilder

    init() throws {
        let (config, rendered, _) = compileFixture(TestPaths.fixtures.appendingPathComponent("import-documents"))
        self.config = try #require(config, "\(rendered)")
        builder = ImportDocumentBuilder(records: self.config.records, actor: "carol", time: "2026-11-23T10:00:00Z")
    }

    static let stored =
        #","followers":[],"pool":null,"created_at":"2026-11-23T10:00:00Z","created_by":"carol","modified_at":"2026-11-23T10:00:00Z","modified_by":"carol"}"#
    static let ownership =
        #","account_executive":null,"customer_service_rep":null,"shared":{"users":[],"departments":[],"roles":[]},"tags":[]"#

    func document(
        _ row: String, team: String = "sales", assignedId: String? = nil,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> String {
        let validator = try #require(config.records.validatorIndex(team: team, table: .individual, package: nil))
        let bytes = Array(row.utf8)
        var out: [UInt8] = []
        var tape = JSONTape()
        let built = try bytes.withUnsafeBufferPointer { b in
            try tape.parse(b)
            return tape.withView(bytes: b) {
                builder.build($0, validator: validator, assignedId: assignedId, into: &out)
            }
        }
        #expect(built, sourceLocation: sourceLocation)
        let text = String(decoding: out, as: UTF8.self)
        #expect((try? JSONValue.parse(text)) != nil, "not JSON: \(text)", sourceLocation: sourceLocation)
        return text
    }

    @Test("a row that needs nothing changed keeps its own bytes and gains the keys it leaves out")
    func keepsItsBytes() throws {
        let row =
            #"{"team":"sales", "table":"individual","fields":{"name":"Ann","email":"ann@example.com","level":"A"}}"#
        let expected: String = row.dropLast() + #","package":null"# + Self.ownership + Self.stored
        #expect(try document(row + "  ") == expected)
    }

    @Test("a field left out gets its default; null values are dropped")
    func defaults() throws {
        #expect(
            try document(#"{"fields":{"name":"Bo","email":null}}"#)
                == #"{"fields":{"name":"Bo","level":"B"},"team":"sales","table":"individual","package":null"#
                + Self.ownership + Self.stored)
        #expect(
            try document(#"{"tags":["x"]}"#)
                == #"{"tags":["x"],"fields":{"level":"B"},"team":"sales","table":"individual","package":null,"account_executive":null,"customer_service_rep":null,"shared":{"users":[],"departments":[],"roles":[]}"#
                + Self.stored)
    }

    @Test("values are stored normalised")
    func normalised() throws {
        #expect(
            try document(#"{"fields":{"name":"Cy","email":" Cy@Example.com","level":"C"}}"#)
                == #"{"fields":{"name":"Cy","email":"cy@example.com","level":"C"},"team":"sales","table":"individual","package":null"#
                + Self.ownership + Self.stored)
    }

    @Test("a numbered row gets its id first, in place of a null one")
    func numbered() throws {
        #expect(
            try document(#"{"id":null,"fields":{"name":"Di","level":"A"}}"#, assignedId: "P000007")
                == #"{"id":"P000007","fields":{"name":"Di","level":"A"},"team":"sales","table":"individual","package":null"#
                + Self.ownership + Self.stored)
        #expect(
            try document(#" { "fields" : {"name":"Ed","level":"A"} } "#, assignedId: "P000008")
                == #"{"id":"P000008","fields" : {"name":"Ed","level":"A"},"team":"sales","table":"individual","package":null"#
                + Self.ownership + Self.stored)
    }

    @Test("an empty row takes no comma before its first key")
    func empty() throws {
        #expect(
            try document("{}", team: "support") == #"{"team":"support","table":"individual","package":null"#
                + Self.ownership + Self.stored)
        #expect(
            try document("{ }", team: "support", assignedId: "P000009").hasPrefix(#"{"id":"P000009","team":"support","#)
        )
    }

    @Test("the quick check for normalised values agrees with the normaliser", arguments: Normalization.allCases)
    func quickCheck(_ how: Normalization) throws {
        let samples = [
            "", " ", "abc", "ABC", " abc", "abc\t", "a b", "+861234", "+86 1234", "1+2", "+", "123", "Ünïcode",
            "ünïcode ",
            "\u{00A0}x", "x\u{2003}", "https://example.com/A", "Example.com", "https://EXAMPLE.com",
            "http://x.y/Path?q=1",
        ]
        for sample in samples {
            let row = Array(try #require(JSONValue.string(sample).jsonText.data(using: .utf8)))
            var tape = JSONTape()
            let quick = try row.withUnsafeBufferPointer { b in
                try tape.parse(b)
                return tape.withView(bytes: b) { ImportDocumentBuilder.isNormalized($0, 0, how) }
            }
            #expect(quick == (Normalizer.normalize(sample, how) == sample), "\(how) of \(Shown.text(sample))")
        }
    }
}
