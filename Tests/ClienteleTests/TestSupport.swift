import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

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
            return FileManager.default.fileExists(
                atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }
}

/// Compiles a config directory; diagnostics rendered as a user sees them (no colours).
func compileFixture(_ directory: URL) -> (config: CompiledConfig?, rendered: String, diagnostics: [Diagnostic]) {
    let (config, diagnostics, files) = Pipeline.compile(directory: directory)
    return (config, DiagnosticRenderer(files: files).render(diagnostics), diagnostics)
}
