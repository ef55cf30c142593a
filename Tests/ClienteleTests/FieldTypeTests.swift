import ClienteleTestSupport
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// Table-driven checks of every base type and refinement: valid, invalid and
/// boundary values, as JSON text, through the same check records get.
@Suite("Field types")
struct FieldTypeTests {
    static func field(_ spec: FieldSpec, identities: [String] = ["f"]) -> Field {
        Field(
            identities: identities, displays: identities, team: "t", table: .individual, origin: .mainTable, spec: spec,
            required: false, unique: false, hidden: false, defaultValue: nil, defaultLocation: nil, was: nil,
            location: SourceLocation(file: "x", line: 1, column: 1))
    }

    /// nil when valid, otherwise the message.
    static func check(_ spec: FieldSpec, _ json: String) -> String? {
        var tape = JSONTape()
        let bytes = Array(json.utf8)
        return bytes.withUnsafeBufferPointer { b in
            guard (try? tape.parse(b)) != nil else { return "unparsable test value \(json)" }
            return tape.withView(bytes: b) { FieldValueCheck(field: field(spec)).check($0, 0) }
        }
    }

    static func spec(_ base: BaseType, _ configure: (inout FieldSpec) -> Void = { _ in }) -> FieldSpec {
        var s = FieldSpec(base: base)
        configure(&s)
        return s
    }

    static func expect(
        _ spec: FieldSpec, valid: [String], invalid: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        for v in valid {
            #expect(
                check(spec, v) == nil, "\(v) should be valid: \(check(spec, v) ?? "")", sourceLocation: sourceLocation)
        }
        for v in invalid { #expect(check(spec, v) != nil, "\(v) should be invalid", sourceLocation: sourceLocation) }
    }

    @Test("input: text, 255 characters by default, characters not bytes")
    func input() {
        Self.expect(
            Self.spec(.input),
            valid: [
                #""a""#, "\"" + String(repeating: "x", count: 255) + "\"",
                "\"" + String(repeating: "é", count: 255) + "\"",
            ],
            invalid: ["1", "true", "[]", "{}", "\"" + String(repeating: "x", count: 256) + "\""])
        Self.expect(
            Self.spec(.input) { $0.maxLength = 3 }, valid: [#""abc""#, #""日本語""#, #""a\"b""#],
            invalid: [#""abcd""#, #""日本語x""#])
    }

    @Test("input with a pattern must match it whole")
    func pattern() {
        Self.expect(
            Self.spec(.input) { $0.pattern = "[A-Z]{2}-[0-9]+" }, valid: [#""AB-1""#, #""ZZ-0099""#],
            invalid: [#""ab-1""#, #""AB-""#, #"" AB-1""#, #""AB-1x""#])
    }

    @Test("input format email")
    func email() {
        Self.expect(
            Self.spec(.input) { $0.format = .email },
            valid: [
                #""a@example.com""#, #""first.last+tag@sub.example.co.uk""#, #""o'neil@example.org""#, #""李@例子.中国""#,
            ],
            invalid: [
                #""john.doe@""#, #""john.doe.example.com""#, #""john@@example.com""#, #""@example.com""#,
                #""john doe@example.com""#, #""a@b""#, #""a..b@example.com""#, #"".a@example.com""#,
                #""a@-example.com""#, #""a@example.123""#,
            ])
    }

    @Test("input format phone")
    func phone() {
        Self.expect(
            Self.spec(.input) { $0.format = .phone },
            valid: [
                #""62615024478""#, #""+86 138 0013 8000""#, #""(030) 123-4567""#, #""110""#,
                "\"+" + String(repeating: "1", count: 20) + "\"",
            ],
            invalid: [
                #""12""#, #""call me""#, #""138+000""#, "\"1" + String(repeating: "2", count: 20) + "\"", "62615024478",
            ])
    }

    @Test("input format url, and normalize: url accepts a bare host")
    func url() {
        let plain = Self.spec(.input) { $0.format = .url }
        Self.expect(
            plain,
            valid: [
                #""https://www.example.com""#, #""http://example.com:8080/a?b=c#d""#, #""HTTPS://EXAMPLE.COM""#,
                #""http://localhost:3000""#,
            ],
            invalid: [
                #""www.example.com""#, #""ftp://example.com""#, #""https://""#, #""https://exa mple.com""#,
                #""https://example.com/a b""#, #""https://example.com:99999""#,
            ])
        let normalized = Self.spec(.input) {
            $0.format = .url
            $0.normalize = .url
        }
        Self.expect(normalized, valid: [#""www.example.com""#, #""Example.COM/Path""#], invalid: [#""not a url""#])
        #expect(Normalizer.normalize(" Example.COM/Path ", .url) == "https://example.com/Path")
    }

    @Test(
        "normalization",
        arguments: [
            ("  x y  ", Normalization.trim, "x y"), (" A@Example.COM ", .lowercase, "a@example.com"),
            ("+86 (138) 0013-8000", .digits, "+8613800138000"), ("(030) 123-4567", .digits, "0301234567"),
            ("HTTP://Example.com/A", .url, "http://example.com/A"),
        ])
    func normalization(input: String, how: Normalization, expected: String) {
        #expect(Normalizer.normalize(input, how) == expected)
    }

    @Test("text: 10000 characters by default")
    func text() {
        Self.expect(
            Self.spec(.text), valid: ["\"" + String(repeating: "x", count: 10_000) + "\"", #""line\nbreak""#],
            invalid: ["\"" + String(repeating: "x", count: 10_001) + "\"", "12"])
    }

    static let options = [
        SelectOption(value: "A", was: []), SelectOption(value: "B", was: []),
        SelectOption(value: "Gold", was: ["G", "gold"]),
    ]

    @Test("select with and without can_enter; old spellings are accepted")
    func select() {
        Self.expect(
            Self.spec(.select) { $0.options = Self.options }, valid: [#""A""#, #""Gold""#, #""G""#, #""gold""#],
            invalid: [#""a""#, #""C""#, "1", #"["A"]"#])
        Self.expect(
            Self.spec(.select) {
                $0.options = Self.options
                $0.canEnter = true
            }, valid: [#""A""#, #""anything typed in""#, #""重点客户""#],
            invalid: ["1", "\"" + String(repeating: "x", count: 256) + "\""])
    }

    @Test("multiselect: a list of distinct options")
    func multiselect() {
        Self.expect(
            Self.spec(.multiselect) { $0.options = Self.options }, valid: [#"["A"]"#, #"["A","B","Gold"]"#, "[]"],
            invalid: [#""A""#, #"["A","A"]"#, #"["A","C"]"#, "[1]", #"["Gold","G"]"#])
        Self.expect(
            Self.spec(.multiselect) {
                $0.options = Self.options
                $0.canEnter = true
            }, valid: [#"["A","new"]"#], invalid: [#"["x","x"]"#])
    }

    @Test("integer: whole numbers in range, 64 bits")
    func integer() {
        Self.expect(
            Self.spec(.integer), valid: ["0", "-5", "9223372036854775807", "-9223372036854775808"],
            invalid: ["1.5", "1.0", "1e3", #""12""#, "9223372036854775808", "true"])
        Self.expect(
            Self.spec(.integer) {
                $0.min = NumberLiteral(text: "1", value: 1)
                $0.max = NumberLiteral(text: "100000", value: 100_000)
            },
            valid: ["1", "100000"], invalid: ["0", "100001", "-1"])
    }

    @Test("decimal: range and scale, exponents included")
    func decimal() {
        let s = Self.spec(.decimal) {
            $0.min = NumberLiteral(text: "-90", value: -90)
            $0.max = NumberLiteral(text: "90", value: 90)
            $0.scale = 2
        }
        Self.expect(
            s, valid: ["-90", "90", "0", "12.34", "12.30", "1e1", "1.5e-1", "0.01"],
            invalid: ["90.01", "-90.5", "12.345", "1e-3", #""1.5""#, "null1"])
    }

    @Test("boolean: true or false only")
    func boolean() {
        Self.expect(Self.spec(.boolean), valid: ["true", "false"], invalid: [#""true""#, "1", "0", #""yes""#])
    }

    @Test("date: strict YYYY-MM-DD on the calendar")
    func date() {
        Self.expect(
            Self.spec(.date),
            valid: [#""2026-02-28""#, #""2024-02-29""#, #""2000-02-29""#, #""0001-01-01""#, #""9999-12-31""#],
            invalid: [
                #""2026-02-30""#, #""2026-02-29""#, #""1900-02-29""#, #""2021-13-01""#, #""2021-00-10""#,
                #""2021/03/05""#,
                #""05-03-2021""#, #""2021-3-5""#, #""2021-03-05T00:00:00Z""#, #""0000-01-01""#, "20210305",
            ])
    }

    @Test("datetime: ISO-8601 with an offset")
    func datetime() {
        Self.expect(
            Self.spec(.datetime),
            valid: [
                #""2026-11-23T09:00:00Z""#, #""2026-11-23T17:00:00+08:00""#, #""2026-11-23T09:00:00.123456-05:30""#,
                #""2024-02-29t23:59:59z""#,
            ],
            invalid: [
                #""2026-11-23""#, #""2026-11-23T09:00:00""#, #""2021-03-05T25:10:00Z""#, #""2026-11-23T09:60:00Z""#,
                #""2026-02-30T09:00:00Z""#, #""2026-11-23 09:00:00Z""#, #""2026-11-23T09:00:00+8:00""#, #""yesterday""#,
                "1700000000",
            ])
    }

    @Test("upload: references inside the store, extensions, count and size")
    func upload() {
        let s = Self.spec(.upload) {
            $0.extensions = ["pdf", "png"]
            $0.maxFiles = 2
            $0.maxSize = 1000
        }
        Self.expect(
            s, valid: ["[]", #"["contracts/a.pdf"]"#, #"["a.PDF",{"file":"b/c.png","size":1000,"name":"C"}]"#],
            invalid: [
                #"["/etc/passwd.pdf"]"#, #"["../a.pdf"]"#, #"["a/../../b.pdf"]"#, #"["a\\b.pdf"]"#, #"["a.exe"]"#,
                #"["a.pdf","b.pdf","c.pdf"]"#, #"[{"file":"a.pdf","size":1001}]"#, #""a.pdf""#, "[1]",
                #"[{"path":"a.pdf"}]"#,
            ])
    }

    @Test("relate: a path of the tree, level by level, no level skipped")
    func relate() throws {
        let tree = RelateTree(
            children: [
                "China": RelateTree(
                    children: ["Zhejiang": RelateTree(children: ["Hangzhou": RelateTree()], order: ["Hangzhou"])],
                    order: ["Zhejiang"])
            ], order: ["China"])
        var spec = FieldSpec(base: .relate)
        spec.levels = ["country", "province", "city"]
        spec.tree = tree
        var f = Self.field(spec, identities: ["country", "province", "city"])
        f.required = true
        var schema = CustomerSchema()
        schema.customizations = [f]
        let validator = CustomerValidator(
            team: "t", table: .individual, package: nil, schema: schema, inheritance: .everything)
        func problems(_ fields: String) -> [RecordProblem] {
            var tape = JSONTape()
            let bytes = Array(fields.utf8)
            return bytes.withUnsafeBufferPointer { b in
                try! tape.parse(b)
                var scratch: [Int32] = []
                var problems: [RecordProblem] = []
                tape.withView(bytes: b) {
                    validator.validate($0, fieldsObject: 0, scratch: &scratch, problems: &problems)
                }
                return problems
            }
        }
        #expect(problems(#"{"country":"China","province":"Zhejiang","city":"Hangzhou"}"#).isEmpty)
        #expect(problems(#"{"country":"China","province":"Bavaria","city":"Hangzhou"}"#).map(\.column) == ["province"])
        #expect(problems(#"{"country":"China","province":"Zhejiang","city":"Munich"}"#).map(\.column) == ["city"])
        #expect(problems(#"{"country":"China","city":"Hangzhou"}"#).map(\.column).contains("city"), "a skipped level")
        #expect(
            problems(#"{"country":"China","province":"Zhejiang"}"#).map(\.column) == ["city"],
            "required means every level")
        #expect(problems(#"{"country":"China","province":"Zhejiang","city":7}"#).map(\.column) == ["city"])
    }
}
