import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleSpec
import ClienteleStore

/// Stores with a config applied, for tests of the use cases.
package enum SeededStores {
    /// Compiles config files held in memory (path, text); nil and the error
    /// diagnostics when they do not compile.
    package static func compile(_ files: [(path: String, text: String)]) -> (config: CompiledConfig?, errors: [String])
    {
        let loaded = Planner.load(AppliedVersion(number: 0, appliedAt: "", appliedBy: "", files: files, inherited: [:]))
        let (config, diagnostics, _) = Pipeline.compile(loaded)
        return (config, diagnostics.filter { $0.severity == .error }.map(\.description))
    }

    /// A `MemoryStore` with `files` applied as version 1 by `actor`, opened under it;
    /// nil when the files do not compile.
    package static func memory(_ files: [(path: String, text: String)], by actor: String, at time: String) throws
        -> AppliedStore?
    {
        guard let config = compile(files).config else { return nil }
        let store = MemoryStore()
        try store.applyFirst(config, files: files, by: actor, at: time)
        return try AppliedStore(store: store)
    }
}
