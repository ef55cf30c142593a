import ClienteleCore
import ClienteleSpec
import ClienteleModel
import Foundation

/// A config directory taken through every stage a command needs: loaded,
/// resolved into a model and compiled into record validators.
public struct CompiledConfig: Sendable {
    public var loaded: LoadedConfig
    public var model: Model
    public var records: RecordValidator
    public var access: AccessPolicy

    public var directory: URL { loaded.directory }
}

/// The whole front of the pipeline in one call: YAML to Node to Declarations to Model to Compiled.
public enum Pipeline {
    /// All diagnostics of every stage, sorted; the compiled config when there are no errors.
    public static func compile(directory: URL, displayPrefix: String = "",
                               inheritance: PackageInheritance = .everything) -> (config: CompiledConfig?, diagnostics: [Diagnostic], files: SourceFiles) {
        compile(ConfigLoader(displayPrefix: displayPrefix).load(directory: directory), inheritance: inheritance)
    }

    /// The stages after loading, for a config already read (from disk or from memory).
    public static func compile(_ loaded: LoadedConfig,
                               inheritance: PackageInheritance = .everything) -> (config: CompiledConfig?, diagnostics: [Diagnostic], files: SourceFiles) {
        // A file that is not YAML is reported alone: resolving the rest would only report what it failed to declare.
        if loaded.hasSyntaxErrors { return (nil, loaded.diagnostics.sortedByLocation(), loaded.files) }
        let (model, diagnostics) = ModelBuilder.build(loaded)
        guard let model else { return (nil, diagnostics, loaded.files) }
        let (access, accessDiagnostics) = AccessPolicyBuilder.build(model, files: loaded.files)
        let compileDiagnostics = DefaultValueCheck.diagnostics(model.schema) + accessDiagnostics
        let all = (diagnostics + compileDiagnostics).sortedByLocation()
        guard let access, !all.hasErrors else { return (nil, all, loaded.files) }
        let records = RecordValidator(model: model, inheritance: inheritance)
        return (CompiledConfig(loaded: loaded, model: model, records: records, access: access), all, loaded.files)
    }
}
