import ClienteleTestSupport
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

@Suite("The YAML source layer")
struct YAMLParserTests {
    func parse(_ text: String) -> (Node?, [Diagnostic]) {
        YAMLParser.parse(text, displayPath: "t.yaml")
    }

    @Test("every scalar, key, sequence and mapping keeps a 1-based line and column")
    func locations() throws {
        let (node, diagnostics) = parse("a:\n  - x\n  - { b: 1 }\n")
        #expect(diagnostics.isEmpty)
        let root = try #require(node)
        #expect(root.location == SourceLocation(file: "t.yaml", line: 1, column: 1))
        let entry = try #require(root.mapping?.first)
        #expect(entry.key.location == SourceLocation(file: "t.yaml", line: 1, column: 1))
        let list = try #require(entry.value.sequence)
        #expect(entry.value.location.line == 2 && entry.value.location.column == 3)
        #expect(list[0].location == SourceLocation(file: "t.yaml", line: 2, column: 5))
        #expect(list[1].location == SourceLocation(file: "t.yaml", line: 3, column: 5))
        let inner = try #require(list[1].mapping?.first)
        #expect(inner.key.location.column == 7 && inner.value.location.column == 10)
    }

    @Test("columns count characters, not bytes")
    func unicodeColumns() throws {
        let (node, _) = parse("名前: 值\n")
        let entry = try #require(node?.mapping?.first)
        #expect(entry.value.location.column == 5)
    }

    @Test(
        "only plain true and false are booleans; quoted scalars are strings",
        arguments: [
            ("true", false), ("false", false), ("yes", true), ("no", true), ("on", true), ("off", true),
            ("\"true\"", true), ("'false'", true), ("!!str true", true),
        ])
    func booleans(text: String, isString: Bool) throws {
        let (node, diagnostics) = parse("k: \(text)\n")
        #expect(diagnostics.isEmpty)
        let scalar = try #require(node?.mapping?.first?.value.scalar)
        #expect(
            Node(.scalar(scalar), at: SourceLocation(file: "", line: 1, column: 1)).kindDescription
                == (isString ? "text" : "a boolean"))
    }

    @Test("aliases are resolved to a copy of their anchor")
    func aliases() throws {
        let (node, diagnostics) = parse("a: &x [1, 2]\nb: *x\n")
        #expect(diagnostics.isEmpty)
        let b = try #require(node?.mapping?[1].value.sequence)
        #expect(b.count == 2)
        #expect(node?.mapping?[1].value.location.line == 2, "the copy is located where the alias is")
    }

    @Test("an alias that expands past the limit is refused")
    func billionLaughs() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for k in 1...7 {
            text +=
                "\(Character(Unicode.Scalar(97 + k)!)): &\(Character(Unicode.Scalar(97 + k)!)) ["
                + Array(repeating: "*\(Character(Unicode.Scalar(96 + k)!))", count: 10).joined(separator: ", ") + "]\n"
        }
        let (node, diagnostics) = parse(text)
        #expect(node == nil)
        #expect(diagnostics.first?.message.contains("expand") == true)
    }

    @Test("an empty file or one holding only comments is no document")
    func empty() {
        for text in ["", "# just a comment\n", "\n\n"] {
            let (node, diagnostics) = parse(text)
            #expect(node == nil && diagnostics.isEmpty)
        }
    }

    @Test("a syntax error reports libyaml's problem at its mark, and the context as a note")
    func syntaxError() throws {
        let (_, diagnostics) = parse("a: [1, 2\nb: 3\n")
        let d = try #require(diagnostics.first)
        #expect(d.message.hasPrefix("YAML syntax error: "))
        #expect(d.location != nil)
        #expect(d.notes.first?.location?.line == 1)
    }

    @Test("input that is not UTF-8 is refused with a location")
    func invalidEncoding() {
        let (_, diagnostics) = parse("a: \u{FFFF}\u{0}")
        #expect(!diagnostics.isEmpty)
    }
}
