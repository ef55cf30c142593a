import ClienteleCore
import Foundation

/// A complete example config that ships in the binary (source: the repository's
/// `examples/` folder), written out by `clientele init`.
package struct ExampleConfig: Sendable {
    package var name: String
    /// Relative path -> text.
    package var files: [(path: String, text: String)]

    package static let defaultName = "starter"
    package static var all: [ExampleConfig] { EmbeddedLibraries.examples }

    package static func named(_ name: String) -> ExampleConfig? { all.first { $0.name == name } }

    package struct WriteError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Writes every file; refuses to overwrite an existing config. Returns the paths written.
    package func write(to directory: URL) throws -> [String] {
        let fm = FileManager.default
        for file in files where fm.fileExists(atPath: directory.appendingPathComponent(file.path).path) {
            throw WriteError(
                description:
                    "\(directory.appendingPathComponent(file.path).path) already exists; init writes only into a directory without a config"
            )
        }
        for file in files {
            let url = directory.appendingPathComponent(file.path)
            do {
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                // A file ends with its newline, so that a line appended to it stays YAML.
                try (file.text.hasSuffix("\n") ? file.text : file.text + "\n").write(
                    to: url, atomically: true, encoding: .utf8)
            } catch {
                throw WriteError(description: "cannot write \(url.path): \(error.localizedDescription)")
            }
        }
        return files.map(\.path)
    }
}
