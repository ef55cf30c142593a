import Foundation
import Testing
@testable import ClienteleCore
@testable import ClienteleSpec
@testable import ClienteleModel
@testable import ClienteleEngine
@testable import ClienteleStore
@testable import ClienteleKit

/// Paths and golden-file helpers shared by the suites.
enum TestPaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let examples = repository.appendingPathComponent("examples")
    static let sharedBench = repository.deletingLastPathComponent().appendingPathComponent("shared/bench")

    /// The names of the folders directly inside `folder`, sorted.
    static func subfolders(_ folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }
}

/// Compares `actual` with a golden file; with CLIENTELE_RECORD_GOLDEN=1 in the
/// environment it writes the file instead and fails, so that a recording run never
/// passes for a check (review the diff, then run again without it).
func expectGolden(_ actual: String, file: URL, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    if ProcessInfo.processInfo.environment["CLIENTELE_RECORD_GOLDEN"] == "1" {
        do {
            try actual.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("recorded a new baseline in \(file.lastPathComponent); review the diff and run again without CLIENTELE_RECORD_GOLDEN", sourceLocation: sourceLocation)
        } catch {
            Issue.record("cannot write the golden file \(file.path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
        Issue.record("missing golden file \(file.path); run the tests with CLIENTELE_RECORD_GOLDEN=1 to write it", sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "output differs from \(file.lastPathComponent)", sourceLocation: sourceLocation)
}

/// Compiles a config directory; diagnostics rendered as a user sees them (no colours).
func compileFixture(_ directory: URL) -> (config: CompiledConfig?, rendered: String, diagnostics: [Diagnostic]) {
    let (config, diagnostics, files) = Pipeline.compile(directory: directory)
    return (config, DiagnosticRenderer(files: files).render(diagnostics), diagnostics)
}
