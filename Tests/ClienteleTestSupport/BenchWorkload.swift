import Foundation
import Testing

/// The synthetic CRM workload of ../shared/bench at 2,000 customers, generated once per
/// run into the scratch folder (gen.py, then to_clientele.py).
package enum BenchWorkload {
    /// ../shared/bench, beside the repository.
    package static let sharedBench = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/bench")

    /// python3 from PATH.
    static let python = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        .map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    package static var available: Bool {
        python != nil
            && FileManager.default.fileExists(atPath: sharedBench.appendingPathComponent("gen.py").path)
    }

    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python!)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(arguments)")
    }

    /// Generates the data once per run.
    package static let data: URL? = {
        let dir = Scratch.root.appendingPathComponent("bench")
        do {
            try run([
                sharedBench.appendingPathComponent("gen.py").path, "--customers", "2000", "--requests",
                "1000", "--out", dir.path,
            ])
            try run([sharedBench.appendingPathComponent("to_clientele.py").path, dir.path])
            return dir
        } catch {
            return nil
        }
    }()
}
