import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// Every fixture under Fixtures/invalid is a config directory with one kind of
/// mistake (or several); `expected.txt` holds the diagnostics exactly as
/// `clientele validate` prints them: location, message, the line and a caret.
@Suite("Invalid configs are reported with their location and message")
struct ConfigDiagnosticsTests {
    static let folder = TestPaths.fixtures.appendingPathComponent("invalid")
    static let cases = TestPaths.subfolders(folder)

    @Test("there are at least 60 invalid-config fixtures")
    func enoughFixtures() {
        #expect(Self.cases.count >= 60)
        #expect(Self.cases.filter { $0.hasPrefix("expr-") }.count >= 40, "bad expressions and bad rules")
    }

    @Test("each fixture's diagnostics match its golden file", arguments: cases)
    func diagnostics(_ name: String) throws {
        let directory = Self.folder.appendingPathComponent(name)
        let (config, rendered, diagnostics) = compileFixture(directory)
        #expect(config == nil, "the fixture must not validate")
        #expect(diagnostics.hasErrors)
        for diagnostic in diagnostics where diagnostic.severity == .error {
            #expect(
                diagnostic.location != nil || name == "project-no-clientele-yaml",
                "every error names its place: \(diagnostic)")
        }
        expectGolden(rendered, file: directory.appendingPathComponent("expected.txt"))
    }

    @Test("one run reports all ten mistakes of a config")
    func tenMistakes() {
        let (_, _, diagnostics) = compileFixture(Self.folder.appendingPathComponent("ten-mistakes"))
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 10)
        #expect(Set(errors.compactMap(\.location)).count == 10, "ten different places")
    }
}
