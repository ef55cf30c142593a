import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// A store opened with the config version it applied, compiled from the files that
/// version recorded: what every command that reads or writes customers runs under.
/// The config directory only says where the store is; an edit to it takes effect
/// through `plan` and `apply`, never by itself.
package struct AppliedStore {
    package let store: any CustomerStore
    package let config: CompiledConfig
    package let version: AppliedVersion

    /// An open store under its applied version, compiled from the files that version
    /// recorded; nil when no version has been applied yet.
    package init?(store: any CustomerStore) throws(StoreError) {
        guard let version = store.version else { return nil }
        let (config, diagnostics) = Planner.compileApplied(version)
        guard let config else {
            let first = diagnostics.first { $0.severity == .error }?.description ?? ""
            throw StoreError(
                "the applied config version \(version.number) in \(store.location) does not compile: \(first)")
        }
        self.store = store
        self.config = config
        self.version = version
    }

    static func noStore(_ path: String) -> StoreError {
        StoreError("no store yet at \(path): run 'clientele apply' to create it from the config directory")
    }

    /// Whether a store has been created at `path` (its first version applied or not).
    package static func exists(at path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/data")
    }

    /// Whether the config directory holds files other than the applied version's
    /// (its YAML files, and the relate trees the version recorded).
    package func differs(from directory: URL) -> Bool {
        let trees = version.files.map(\.path).filter { !ConfigLoader.isYAML($0) }
        let current = ConfigLoader.directoryFiles(directory, trees: trees)
        let recorded = Dictionary(version.files.map { ($0.path, $0.text) }, uniquingKeysWith: { a, _ in a })
        return current.count != recorded.count || current.contains { recorded[$0.path] != $0.text }
    }

    /// The note a command prints when the directory was edited but not applied.
    package var differsNote: String {
        "the config directory differs from the applied version \(version.number); 'clientele plan' shows the change"
    }
}

extension CompiledConfig {
    /// The index of the user that `--as` names: an existing, active user of this config.
    package func actingUser(_ id: String) throws(OperationError) -> Int {
        guard let u = access.org.user(id) else {
            throw .invalid(["no user '\(id)'\(Suggestion.didYouMean(id, in: access.org.userIds))"])
        }
        guard access.org.userActive[u] else { throw .invalid(["user '\(id)' is not active"]) }
        return u
    }
}
