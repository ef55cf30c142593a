import ClienteleTestSupport
import Foundation
import Testing

/// What a run of the built `clientele` binary printed, and its exit code.
typealias CLIRun = ProgramRun

enum CLI {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let golden = testsDirectory.appendingPathComponent("Golden")
    /// Plain output, and `--now` allowed on writes: the tests set the clock.
    static let environment = ["NO_COLOR": "1", "CLIENTELE_CLOCK_OVERRIDE": "1"]

    /// The binary built beside the test bundle.
    static let binary: URL = {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("clientele"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("clientele"),
            repository.appendingPathComponent(".build/debug/clientele"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }()

    static func run(_ arguments: [String], in directory: URL = repository, environment: [String: String] = [:]) throws
        -> CLIRun
    {
        try execute(binary, arguments, in: directory, environment: environment.mapValues { Optional($0) })
    }

    /// Runs any program with this environment (a nil value removes a variable).
    static func execute(
        _ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String?] = [:]
    ) throws -> CLIRun {
        try ProgramRun.execute(executable, arguments, in: directory, base: CLI.environment, environment: environment)
    }

    /// A new folder for a test's config and store, removed when the test process exits.
    static func temporaryDirectory() throws -> URL {
        try Scratch.folder("cli")
    }
}

/// Compares with Golden/<name>.txt; with CLIENTELE_RECORD_GOLDEN=1 it writes the file
/// and fails, so that a recording run never passes for a check.
func expectGolden(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    expectGolden(actual, file: CLI.golden.appendingPathComponent(name + ".txt"), sourceLocation: sourceLocation)
}
