import ClienteleCore
import ClienteleSpec
import ClienteleModel
import ClienteleEngine
import ClienteleStore
import ClienteleKit
import ArgumentParser
import Foundation

/// `--config DIR`: the config directory, or the nearest one at or above the current directory.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The config directory (default: the nearest directory at or above this one that holds clientele.yaml).", valueName: "dir"))
    var config: String?

    /// The directory and the prefix its files are shown with in messages.
    func locate() throws -> (directory: URL, displayPrefix: String) {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if let config {
            let url = URL(fileURLWithPath: config, relativeTo: cwd).standardizedFileURL
            var prefix = config
            while prefix.hasSuffix("/") && prefix.count > 1 { prefix.removeLast() }
            prefix = (prefix == "." || prefix.isEmpty) ? "" : prefix + "/"
            if prefix.hasPrefix("./") { prefix.removeFirst(2) }
            return (url, prefix)
        }
        guard let found = ConfigLoader.findConfigDirectory(from: cwd) else {
            Terminal.error("no clientele.yaml here or in any parent directory; give --config DIR or run 'clientele init'")
            throw ExitCode(1)
        }
        let relative = Terminal.relativePath(from: cwd, to: found)
        return (found, relative.isEmpty ? "" : relative + "/")
    }

    /// Runs the front of the pipeline; prints the diagnostics and exits 1 on errors.
    func compile(format: OutputFormat) throws -> CompiledConfig {
        let (directory, prefix) = try locate()
        let (config, diagnostics, files) = Pipeline.compile(directory: directory, displayPrefix: prefix)
        if let config {
            if !diagnostics.isEmpty { Terminal.printDiagnostics(diagnostics, files: files) }
            return config
        }
        Terminal.printDiagnostics(diagnostics, files: files)
        throw ExitCode(1)
    }
}

extension ConfigOptions {
    /// Whether the store the config names has been created.
    func storeExists() throws -> Bool {
        let (directory, prefix) = try locate()
        return AppliedStore.exists(at: try StoreOptions.storePath(directory: directory, prefix: prefix))
    }

    /// The applied version when the store exists; before the first apply, the
    /// directory's config, the only one there is (for commands that check files
    /// against it: `template`, decisions over `--customers FILE`).
    func appliedOrDirectory(format: OutputFormat = .text) throws -> CompiledConfig {
        if try storeExists() { return try StoreOptions.openApplied(config: self, writer: nil).config }
        return try compile(format: format)
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

extension TableKind: ExpressibleByArgument {}

/// Words as a POSIX shell reads them back: plain when safe, else in single quotes
/// (`$'...'` when they hold control characters, which single quotes cannot show).
enum Shell {
    static func quoted(_ word: String) -> String {
        if word.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            var out = "$'"
            for scalar in word.unicodeScalars {
                switch scalar {
                case "\\", "'": out += "\\" + String(scalar)
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "'"
        }
        let safe = !word.isEmpty && word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=:@,+".unicodeScalars.contains($0) }
        return safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A path that cannot be read as an option (`-crm` is written `./-crm`).
    static func path(_ path: String) -> String {
        quoted(path.hasPrefix("-") ? "./" + path : path)
    }
}
