import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// `--config DIR`: the config directory, or the nearest one at or above the current directory.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The config directory (default: the nearest directory at or above this one that holds clientele.yaml).",
            valueName: "dir"))
    var config: String?

    /// The config directory: `--config`, or the nearest one at or above the current directory.
    func directory() throws -> ConfigDirectory {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if let config {
            let url = URL(fileURLWithPath: config, relativeTo: cwd).standardizedFileURL
            var prefix = config
            while prefix.hasSuffix("/") && prefix.count > 1 { prefix.removeLast() }
            prefix = (prefix == "." || prefix.isEmpty) ? "" : prefix + "/"
            if prefix.hasPrefix("./") { prefix.removeFirst(2) }
            return ConfigDirectory(url: url, displayPrefix: prefix)
        }
        guard let found = ConfigDirectory.find(from: cwd) else {
            Terminal.error(
                "no clientele.yaml here or in any parent directory; give --config DIR or run 'clientele init'")
            throw ExitCode(1)
        }
        let relative = Terminal.relativePath(from: cwd, to: found)
        return ConfigDirectory(url: found, displayPrefix: relative.isEmpty ? "" : relative + "/")
    }

    /// The directory's config, compiled; its warnings are printed, its errors end the command.
    func compile() throws -> CompiledConfig {
        let (config, diagnostics, files) = try directory().compiled()
        if !diagnostics.isEmpty { Terminal.printDiagnostics(diagnostics, files: files) }
        return config
    }

    /// The applied version when the store exists; before the first apply, the
    /// directory's config, the only one there is (for commands that check files
    /// against it: `template`, `import --dry-run`, decisions over `--customers FILE`).
    func appliedOrDirectory() throws -> CompiledConfig {
        let directory = try directory()
        return directory.storeExists ? try StoreOptions.openApplied(directory, writer: nil).config : try compile()
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
                case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                    out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "'"
        }
        let safe =
            !word.isEmpty
            && word.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "-_./=:@,+".unicodeScalars.contains($0)
            }
        return safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A path that cannot be read as an option (`-crm` is written `./-crm`).
    static func path(_ path: String) -> String {
        quoted(path.hasPrefix("-") ? "./" + path : path)
    }
}

/// How `customer edit` and `customer transfer` select customers instead of naming them:
/// an expression, narrowed by table, package and tag. Only customers the user may view
/// (and act on) are selected.
struct SelectionOptions: ParsableArguments {
    @Option(name: .customLong("where"), help: "Select the customers by an expression (as in rules).")
    var whereExpression: String?
    @Option(help: "With --where: only customers of this table.") var table: TableKind?
    @Option(help: "With --where: only customers of this package.") var package: String?
    @Option(help: "With --where: only customers with this tag.") var tag: String?

    var selects: Bool { whereExpression != nil || table != nil || package != nil || tag != nil }

    /// Customers are named, or selected; not both, nor neither.
    func validate(ids: [String], verb: String) throws {
        if ids.isEmpty && !selects {
            throw ValidationError("name the customers to \(verb), or select them with --where")
        }
        if !ids.isEmpty && selects {
            throw ValidationError(
                "name the customers or select them with --where, --table, --package or --tag; not both")
        }
    }

    /// The listing query of the customers selected for `action`.
    func query(_ action: Action, now: Double) -> CustomerListing.Query {
        var query = CustomerListing.Query()
        query.action = action
        query.now = now
        query.whereExpression = whereExpression
        query.table = table
        query.package = package
        query.tag = tag
        return query
    }
}
