import ClienteleTestSupport
import Foundation
import Testing

/// End to end: the built binary, run as a user runs it, output compared with
/// golden files (stdout, stderr and exit code together).
@Suite("The clientele command line")
struct CommandLineTests {
    static let invalid = "Tests/ClienteleTests/Fixtures/invalid"
    static let imports = "Tests/ClienteleTests/Fixtures/imports"

    /// name, arguments: each run from the repository root.
    static let cases: [(String, [String])] = [
        ("validate-example", ["validate", "--config", "examples/sales"]),
        ("validate-invalid", ["validate", "--config", "\(invalid)/ten-mistakes"]),
        (
            "validate-invalid-json",
            ["validate", "--config", "\(invalid)/org-unknown-key-did-you-mean", "--format", "json"]
        ),
        ("validate-valid-json", ["validate", "--config", "examples/starter", "--format", "json"]),
        ("validate-missing-directory", ["validate", "--config", "no/such/dir"]),
        ("validate-bad-format", ["validate", "--config", "examples/sales", "--format", "xml"]),
        ("unknown-flag", ["validate", "--colour"]),
        ("unknown-command", ["valdate"]),
        ("template-individual", ["template", "--config", "examples/sales", "--table", "individual"]),
        (
            "template-package",
            ["template", "--config", "examples/sales", "--table", "organization", "--package", "trade-show"]
        ),
        ("template-unknown-table", ["template", "--config", "examples/sales", "--table", "person"]),
        (
            "template-package-of-other-table",
            ["template", "--config", "examples/sales", "--table", "individual", "--package", "trade-show"]
        ),
        ("import-dry-run-jsonl", ["import", "\(imports)/customers.jsonl", "--config", "examples/sales", "--dry-run"]),
        (
            "import-dry-run-jsonl-json",
            ["import", "\(imports)/customers.jsonl", "--config", "examples/sales", "--dry-run", "--format", "json"]
        ),
        (
            "import-dry-run-csv",
            ["import", "\(imports)/accounts.csv", "--config", "examples/sales", "--table", "organization", "--dry-run"]
        ),
        (
            "import-dry-run-csv-unknown-column",
            [
                "import", "\(imports)/unknown-column.csv", "--config", "examples/sales", "--table", "organization",
                "--dry-run",
            ]
        ),
        (
            "import-dry-run-csv-unclosed-quote",
            [
                "import", "\(imports)/unclosed-quote.csv", "--config", "examples/sales", "--table", "organization",
                "--dry-run",
            ]
        ),
        ("import-missing-file", ["import", "no-such-file.jsonl", "--config", "examples/sales", "--dry-run"]),
        ("import-unknown-extension", ["import", "README.md", "--config", "examples/sales", "--dry-run"]),
        (
            "import-unknown-package",
            [
                "import", "\(imports)/customers.jsonl", "--config", "examples/sales", "--package", "sprnig-2026",
                "--dry-run",
            ]
        ),
        ("import-without-dry-run", ["import", "\(imports)/customers.jsonl", "--config", "examples/sales"]),
        (
            "import-invalid-config",
            ["import", "\(imports)/customers.jsonl", "--config", "\(invalid)/org-unknown-team", "--dry-run"]
        ),
        ("init-unknown-example", ["init", "/tmp/never-written", "--example", "sale"]),
        ("test-examples-sales", ["test", "--config", "examples/sales"]),
        ("test-wrong-expectation", ["test", "--config", "Tests/ClienteleTests/Fixtures/rule-tests/wrong-expectation"]),
        ("validate-bad-expression", ["validate", "--config", "\(invalid)/expr-block-scalar"]),
    ]

    @Test("output, errors and exit code match the golden transcript", arguments: cases.map(\.0))
    func golden(_ name: String) throws {
        let arguments = Self.cases.first { $0.0 == name }!.1
        let run = try CLI.run(arguments)
        expectGolden(run.transcript(arguments), named: name)
    }

    @Test("clientele test passes on every example")
    func testPassesOnExamples() throws {
        for example in ["starter", "call-centre", "sales"] {
            let run = try CLI.run(["test", "--config", "examples/\(example)"])
            #expect(run.exitCode == 0, "\(example): \(run.stderr)")
            #expect(run.stdout.hasSuffix(" 0 failed\n"))
        }
    }

    @Test("exit codes: 0 valid, 1 invalid, 64 usage")
    func exitCodes() throws {
        #expect(try CLI.run(["validate", "--config", "examples/call-centre"]).exitCode == 0)
        #expect(try CLI.run(["validate", "--config", "\(Self.invalid)/yaml-duplicate-key"]).exitCode == 1)
        #expect(try CLI.run(["validate", "--nonsense"]).exitCode == 64)
        #expect(try CLI.run(["import", "--config", "examples/sales"]).exitCode == 64, "missing argument")
    }

    @Test("without --config the nearest directory holding clientele.yaml is used")
    func findsConfigUpwards() throws {
        let sub = CLI.repository.appendingPathComponent("examples/sales")
        let run = try CLI.run(["validate"], in: sub)
        #expect(run.exitCode == 0)
        #expect(run.stdout == "config is valid: 1 team, 8 users, 2 packages, 10 custom fields, 12 rules, 2 pools\n")
        let nowhere = try CLI.temporaryDirectory()
        let lost = try CLI.run(["validate"], in: nowhere)
        #expect(lost.exitCode == 1)
        #expect(lost.stderr.contains("no clientele.yaml here or in any parent directory"))
    }

    @Test("validate --format json prints one document on stdout and nothing else")
    func jsonIsOneDocument() throws {
        let run = try CLI.run(["validate", "--config", "\(Self.invalid)/ten-mistakes", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let diagnostics = try #require(object?["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 10, "ten errors; their notes are nested in them")
        #expect(diagnostics.allSatisfy { $0["file"] is String && $0["line"] is Int && $0["column"] is Int })
        #expect(run.stderr.isEmpty)
    }

    @Test("init writes a starter config that validates, and never overwrites one")
    func initWritesStarter() throws {
        for example in ["starter", "call-centre", "sales"] {
            let dir = try CLI.temporaryDirectory()
            let first = try CLI.run(["init", dir.path, "--example", example])
            #expect(first.exitCode == 0, "\(first.stderr)")
            let check = try CLI.run(["validate", "--config", dir.path])
            #expect(check.exitCode == 0, "\(example): \(check.stderr)")
            let second = try CLI.run(["init", dir.path, "--example", example])
            #expect(second.exitCode == 1)
            #expect(second.stderr.contains("already exists"))
        }
    }

    @Test("template writes a header the import reads back")
    func templateRoundTrip() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("accounts.csv").path
        let written = try CLI.run(["template", "--config", "examples/sales", "--table", "organization", "--out", file])
        #expect(written.exitCode == 0)
        var text = try String(contentsOfFile: file, encoding: .utf8)
        let header = text.trimmingCharacters(in: .newlines).components(separatedBy: ",")
        let values = [
            "Id": "O1", "Account executive": "bob", "Tags": "vip", "Name": "Acme", "Organization level": "A",
            "Country": "China", "Province": "Zhejiang", "City": "Hangzhou", "Budget": "10.5", "Seats": "3",
            "Contract signed": "true", "Next meeting": "2026-11-23T09:00:00Z",
        ]
        #expect(Set(values.keys).isSubset(of: Set(header)), "\(header)")
        text += header.map { values[$0] ?? "" }.joined(separator: ",") + "\r\n"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let imported = try CLI.run([
            "import", file, "--config", "examples/sales", "--table", "organization", "--dry-run",
        ])
        #expect(imported.stdout == "1 row: 1 valid, 0 refused\n", "\(imported.stdout)\(imported.stderr)")
        #expect(imported.exitCode == 0)
    }

    @Test("--version and --help succeed")
    func versionAndHelp() throws {
        #expect(try CLI.run(["--version"]).exitCode == 0)
        let help = try CLI.run(["--help"])
        #expect(help.exitCode == 0)
        #expect(help.stdout.contains("validate"))
    }
}
