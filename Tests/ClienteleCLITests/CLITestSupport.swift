import Foundation
import Testing

/// Runs the built `clientele` binary and captures what a user would see.
struct CLIRun: Equatable {
    var exitCode: Int32
    var stdout: String
    var stderr: String

    /// The golden-file form: the command, its exit code and both streams.
    func transcript(_ arguments: [String]) -> String {
        "$ clientele \(arguments.joined(separator: " "))\nexit: \(exitCode)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

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

    static func run(_ arguments: [String], in directory: URL = repository, environment: [String: String] = [:]) throws -> CLIRun {
        try execute(binary, arguments, in: directory, environment: environment.mapValues { Optional($0) })
    }

    /// Runs any program with this environment (a nil value removes a variable).
    static func execute(_ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String?] = [:]) throws -> CLIRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.merging(CLI.environment) { $1 }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        // Both streams go to files, so a large output can never block the process.
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let outData = try Data(contentsOf: outURL), errData = try Data(contentsOf: errURL)
        return CLIRun(exitCode: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clientele-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Compares with Golden/<name>.txt; with CLIENTELE_RECORD_GOLDEN=1 it writes the file
/// and fails, so that a recording run never passes for a check.
func expectGolden(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let file = CLI.golden.appendingPathComponent(name + ".txt")
    if ProcessInfo.processInfo.environment["CLIENTELE_RECORD_GOLDEN"] == "1" {
        do {
            try actual.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("recorded a new baseline in Golden/\(file.lastPathComponent); review the diff and run again without CLIENTELE_RECORD_GOLDEN", sourceLocation: sourceLocation)
        } catch {
            Issue.record("cannot write the golden file \(file.path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
        Issue.record("missing golden file \(file.lastPathComponent); run with CLIENTELE_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "differs from Golden/\(file.lastPathComponent)", sourceLocation: sourceLocation)
}
