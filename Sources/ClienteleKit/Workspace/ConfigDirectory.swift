import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// A config directory and the store it names: where every front end starts.
///
/// The directory's files are what an administrator edits; the store runs under the
/// version applied last, which `plan` and `apply` change. Nothing here prints: each
/// call returns a value or throws an `OperationError` that names the problem.
package struct ConfigDirectory: Sendable {
    /// The directory.
    package let url: URL
    /// How messages name the directory's files (`""`, or `"crm/"` for `--config crm`).
    package let displayPrefix: String

    package init(url: URL, displayPrefix: String = "") {
        self.url = url
        self.displayPrefix = displayPrefix
    }

    /// The nearest directory at or above `directory` that holds `clientele.yaml`.
    package static func find(from directory: URL) -> URL? {
        ConfigLoader.findConfigDirectory(from: directory)
    }

    /// Where the config keeps its store (`store:` in clientele.yaml, relative to the directory).
    package var storePath: String {
        let written = ConfigLoader.storePath(in: url) ?? ModelBuilder.defaultStorePath
        return written.hasPrefix("/") ? written : url.appendingPathComponent(written).path
    }

    /// Whether the store has been created (its first version applied or not).
    package var storeExists: Bool { AppliedStore.exists(at: storePath) }

    /// Opens the directory's store: the one place a backend is chosen. Today the
    /// JSON-file store at `storePath`; a second backend is chosen here from the
    /// config (docs/architecture.md, "Adding a store backend"). `caches: false`
    /// leaves the store's caches as they are.
    package func openStore(writer: String?, caches: Bool = true) throws(StoreError) -> any CustomerStore {
        try JSONFileStore.open(path: storePath, writer: writer, caches: caches)
    }

    /// The directory's config through every stage: the compiled config when there
    /// are no errors, and every diagnostic.
    package func compile() -> (config: CompiledConfig?, diagnostics: [Diagnostic], files: SourceFiles) {
        Pipeline.compile(directory: url, displayPrefix: displayPrefix)
    }

    /// The directory's config, compiled; `.config` with the diagnostics when it has errors.
    package func compiled() throws(OperationError) -> (
        config: CompiledConfig, diagnostics: [Diagnostic], files: SourceFiles
    ) {
        let (config, diagnostics, files) = compile()
        guard let config else { throw .config(diagnostics, files) }
        return (config, diagnostics, files)
    }

    /// The config's rule tests (`tests:`) run against its compiled rules.
    package static func runTests(_ config: CompiledConfig) -> RuleTestRunner.Report {
        RuleTestRunner(model: config.model, policy: config.access).run()
    }

    /// The store under its applied version (`writer` names the command when it
    /// writes, and takes the store's lock); `actor`, when given, must be an active
    /// user of that version.
    package func openApplied(writer: String?, actor: String? = nil) throws(OperationError) -> AppliedStore {
        let applied: AppliedStore
        do throws(StoreError) {
            guard let opened = try openIfAppliedStore(writer: writer) else { throw AppliedStore.noStore(storePath) }
            applied = opened
        } catch {
            throw .store(error)
        }
        if let actor { _ = try applied.config.actingUser(actor) }
        return applied
    }

    /// The same, or nil before the first apply.
    package func openIfApplied(writer: String?) throws(OperationError) -> AppliedStore? {
        do { return try openIfAppliedStore(writer: writer) } catch { throw .store(error) }
    }

    private func openIfAppliedStore(writer: String?) throws(StoreError) -> AppliedStore? {
        guard storeExists else { return nil }
        return try AppliedStore(store: openStore(writer: writer))
    }

    /// Whether the directory holds files other than the applied version's: the
    /// note a front end shows, or nil.
    package func editedNote(_ applied: AppliedStore) -> String? {
        applied.differs(from: url) ? applied.differsNote : nil
    }

    /// Creates the store with the directory's config as version 1; `actor` must be a
    /// user that config lets configure. Returns where the store is.
    package func applyFirst(_ config: CompiledConfig, as actor: String, time: String) throws(OperationError) -> String {
        try config.refuseUnlessConfigure(try config.actingUser(actor), doing: "create the store")
        do {
            let store = try openStore(writer: "clientele apply")
            try store.applyFirst(config, files: ConfigLoader.configFiles(of: config.loaded), by: actor, at: time)
            return store.location
        } catch {
            throw .store(error)
        }
    }

    /// Every applied version's log entry, oldest first.
    package func history() throws(OperationError) -> [JSONValue] {
        do { return try openStore(writer: nil).versionEntries() } catch {
            throw .store(error)
        }
    }

    /// `store verify`: the log, then (when it is whole) the index files and caches.
    package func verifyStore() -> StoreCheck {
        var check = StoreCheck.verifyLog(storePath: storePath)
        if check.problems.isEmpty { check.problems += StoreVerification.verifyIndex(storePath: storePath) }
        return check
    }

    /// The log alone: segments, batches and lines.
    package func verifyLog() -> StoreCheck {
        StoreCheck.verifyLog(storePath: storePath)
    }

    /// `store repair`: cuts what the log cannot keep (saved to `backups/` first).
    package func repairStore(time: String) throws(OperationError) -> StoreCheck.Repair {
        do { return try StoreVerification.repair(storePath: storePath, time: time) } catch { throw .store(error) }
    }
}
