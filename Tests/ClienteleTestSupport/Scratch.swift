import Foundation

/// Folders for what a test writes: one folder per test process under the system's
/// temporary folder, removed when the process exits, so a run leaves nothing behind.
package enum Scratch {
    /// The process's folder (`clientele-tests-PID`).
    package static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "clientele-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: url)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()

    /// A new, empty folder named `prefix-UUID` inside `root`.
    package static func folder(_ prefix: String = "scratch") throws -> URL {
        let url = root.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A path inside `root` that does not exist yet.
    package static func path(_ prefix: String) -> URL {
        root.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    }
}
