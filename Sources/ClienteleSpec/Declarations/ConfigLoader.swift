import ClienteleCore
import Foundation

/// The result of reading a config directory: its declarations, the text of every
/// file read (for diagnostics), and the diagnostics found while reading.
package struct LoadedConfig: Sendable {
    package var directory: URL
    package var declarations: Declarations
    package var standardFields: [StandardFieldDecl]
    /// Relate tree files by the path written in the config, with their text (nil when unreadable).
    package var treeFiles: [String: SourceFile?]
    package var files: SourceFiles
    package var diagnostics: [Diagnostic]
    /// A file is not YAML: what the others refer to in it is unknown, so checking them
    /// would only add errors that follow from this one.
    package var hasSyntaxErrors = false
}

/// Finds, reads and parses every YAML file of a config directory, in path order,
/// plus the built-in libraries that `extends` names.
package struct ConfigLoader: Sendable {
    /// How file names are shown in messages: `prefix + relative path`.
    package var displayPrefix: String

    package init(displayPrefix: String = "") {
        self.displayPrefix = displayPrefix
    }

    /// The nearest directory at or above `start` that holds `clientele.yaml`.
    package static func findConfigDirectory(from start: URL) -> URL? {
        var dir = start.standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("clientele.yaml").path) { return dir }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
    }

    package func load(directory: URL) -> LoadedConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            let shown = displayPrefix.isEmpty ? directory.path : String(displayPrefix.dropLast())
            return LoadedConfig(
                directory: directory, declarations: Declarations(), standardFields: [], treeFiles: [:],
                files: SourceFiles(),
                diagnostics: [.error("config directory '\(shown)' does not exist", at: nil)])
        }
        let diagnostics = DiagnosticCollector()
        var sources: [(path: String, text: String)] = []
        for relative in Self.yamlFiles(in: directory) {
            let display = displayPrefix + relative
            guard Self.isInside(directory, relative) else {
                diagnostics.error(
                    "\(display) is a link to a file outside the config directory; copy the file into it instead",
                    at: nil)
                continue
            }
            if let text = Self.readText(directory.appendingPathComponent(relative), display: display, diagnostics) {
                sources.append((relative, text))
            }
        }
        var loaded = load(sources: sources, directory: directory) { path in
            guard Self.isInside(directory, path) else { return nil }
            return try? String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
        }
        loaded.diagnostics = diagnostics.diagnostics + loaded.diagnostics
        return loaded
    }

    /// Loads a config from texts in memory: `sources` are the YAML files by path
    /// relative to the config directory; `readTree` reads a relate tree file.
    package func load(
        sources: [(path: String, text: String)], directory: URL = URL(fileURLWithPath: "."),
        readTree: (String) -> String? = { _ in nil }
    ) -> LoadedConfig {
        let diagnostics = DiagnosticCollector()
        var files = SourceFiles()
        var syntaxErrors = false
        let reader = DeclarationReader(diagnostics: diagnostics)
        if !sources.contains(where: { $0.path == "clientele.yaml" }) {
            diagnostics.error(
                "no clientele.yaml in \(displayPrefix.isEmpty ? "this directory" : "'\(displayPrefix.dropLast())'"): every config directory needs one (run 'clientele init')",
                at: nil)
        }
        // clientele.yaml first, so that `extends` is known; then the rest in path order.
        let ordered =
            sources.filter { $0.path == "clientele.yaml" }
            + sources.filter { $0.path != "clientele.yaml" }.sorted { $0.path < $1.path }
        for source in ordered {
            let display = displayPrefix + source.path
            files.add(SourceFile(displayPath: display, text: source.text))
            let (node, parseDiagnostics) = YAMLParser.parse(source.text, displayPath: display)
            diagnostics.append(contentsOf: parseDiagnostics)
            if parseDiagnostics.hasErrors {
                syntaxErrors = true
                continue
            }
            reader.read(file: node, displayPath: display, isProject: source.path == "clientele.yaml")
        }

        var standardFields: [StandardFieldDecl] = []
        for name in reader.declarations.project?.extends ?? [] {
            guard let library = BuiltinLibrary.named(name.value) else {
                diagnostics.error(
                    "unknown library '\(name.value)' in 'extends'\(Suggestion.hint(name.value, in: BuiltinLibrary.all.map(\.name), listing: "built-in libraries"))",
                    at: name.location)
                continue
            }
            files.add(SourceFile(displayPath: library.displayPath, text: library.text))
            let (node, parseDiagnostics) = YAMLParser.parse(library.text, displayPath: library.displayPath)
            diagnostics.append(contentsOf: parseDiagnostics)
            switch library.kind {
            case .standardFields: standardFields = reader.readStandardFields(node)
            case .rules: reader.read(file: node, displayPath: library.displayPath, isProject: false)
            }
        }

        var treeFiles: [String: SourceFile?] = [:]
        for tree in Self.treeFileReferences(reader.declarations) where treeFiles[tree.value] == nil {
            let display = displayPrefix + tree.value
            if tree.value.hasPrefix("/") || tree.value.split(separator: "/").contains("..") {
                diagnostics.error(
                    "tree file '\(tree.value)' must be a path inside the config directory", at: tree.location)
                treeFiles[tree.value] = .some(nil)
            } else if let text = readTree(tree.value) {
                let file = SourceFile(displayPath: display, text: text)
                files.add(file)
                treeFiles[tree.value] = file
            } else {
                diagnostics.error("cannot read tree file '\(tree.value)' (looked for \(display))", at: tree.location)
                treeFiles[tree.value] = .some(nil)
            }
        }
        return LoadedConfig(
            directory: directory, declarations: reader.declarations, standardFields: standardFields,
            treeFiles: treeFiles, files: files, diagnostics: diagnostics.diagnostics, hasSyntaxErrors: syntaxErrors)
    }

    /// The `store` that clientele.yaml names (nil when it names none), read from that file alone:
    /// the store must be opened before the config is compiled with what it recorded.
    package static func storePath(in directory: URL) -> String? {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("clientele.yaml"), encoding: .utf8),
            let root = YAMLParser.parse(text, displayPath: "clientele.yaml").node?.mapping,
            let store = root.first(where: { $0.key.value == "store" })?.value.scalar, !store.isNull
        else { return nil }
        return store.text
    }

    /// The own files (YAML and relate trees) of a config loaded from a directory, as
    /// they are now, for recording an applied version.
    package static func configFiles(of loaded: LoadedConfig) -> [(path: String, text: String)] {
        directoryFiles(loaded.directory, trees: treeFileReferences(loaded.declarations).map(\.value))
    }

    /// The files a config directory holds now: its YAML files and the named relate trees.
    package static func directoryFiles(_ directory: URL, trees: [String]) -> [(path: String, text: String)] {
        (yamlFiles(in: directory) + trees).compactMap { path in
            (try? String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)).map { (path, $0) }
        }
    }

    /// Whether `relative` names a file inside `directory` once every link is followed:
    /// a config never reads (and never shows a line of) a file elsewhere.
    static func isInside(_ directory: URL, _ relative: String) -> Bool {
        guard let base = realpath(directory.path, nil) else { return false }
        defer { free(base) }
        guard let target = realpath(directory.appendingPathComponent(relative).path, nil) else { return true }
        defer { free(target) }
        let root = String(cString: base)
        let file = String(cString: target)
        return file.hasPrefix(root == "/" ? "/" : root + "/")
    }

    package static func isYAML(_ path: String) -> Bool { path.hasSuffix(".yaml") || path.hasSuffix(".yml") }

    static func treeFileReferences(_ d: Declarations) -> [Located<String>] {
        let all = d.fieldTypes.map(\.attributes.tree) + d.fields.map(\.attributes.tree)
        return all.compactMap { if case .file(let path)? = $0 { return path } else { return nil } }
    }

    /// Every `*.yaml` / `*.yml` below `directory`, relative, sorted; hidden folders
    /// (such as the default store `.clientele/`) are skipped.
    static func yamlFiles(in directory: URL) -> [String] {
        guard
            let enumerator = FileManager.default.enumerator(
                at: directory, includingPropertiesForKeys: [.isRegularFileKey],
                options: [.skipsHiddenFiles])
        else { return [] }
        let base = directory.standardizedFileURL.path
        var result: [String] = []
        for case let url as URL in enumerator {
            let ext = url.pathExtension
            guard ext == "yaml" || ext == "yml" else { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(base + "/") else { continue }
            result.append(String(path.dropFirst(base.count + 1)))
        }
        return result.sorted()
    }

    static func readText(_ url: URL, display: String, _ diagnostics: DiagnosticCollector) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            diagnostics.error("cannot read \(display)", at: nil)
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            diagnostics.error("\(display) is not UTF-8 text", at: SourceLocation(file: display, line: 1, column: 1))
            return nil
        }
        return text
    }
}
