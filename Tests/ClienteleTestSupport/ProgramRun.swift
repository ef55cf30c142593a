import Foundation

/// What a program printed and how it ended, as a user would see it.
package struct ProgramRun: Equatable, Sendable {
    package var exitCode: Int32
    package var stdout: String
    package var stderr: String

    package init(exitCode: Int32, stdout: String, stderr: String) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }

    /// The golden-file form: the command, its exit code and both streams.
    package func transcript(_ arguments: [String]) -> String {
        "$ clientele \(arguments.joined(separator: " "))\nexit: \(exitCode)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }

    /// Runs `executable` in `directory` with the environment of this process, `base`
    /// on top, then `environment` (a nil value removes a variable). Both streams go to
    /// files, so a large output can never block the program.
    package static func execute(
        _ executable: URL, _ arguments: [String], in directory: URL, base: [String: String] = [:],
        environment: [String: String?] = [:]
    ) throws -> ProgramRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.merging(base) { $1 }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let scratch = try Scratch.folder("run")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let outData = try Data(contentsOf: outURL)
        let errData = try Data(contentsOf: errURL)
        return ProgramRun(
            exitCode: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
