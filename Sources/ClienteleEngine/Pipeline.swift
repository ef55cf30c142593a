import ClienteleCore
import ClienteleModel
import ClienteleSpec
import Foundation

/// A config directory taken through every stage a command needs: loaded,
/// resolved into a model and compiled into record validators.
package struct CompiledConfig: Sendable {
    package var loaded: LoadedConfig
    package var model: Model
    package var records: RecordValidator
    package var access: AccessPolicy

    package var directory: URL { loaded.directory }
}

/// The whole front of the pipeline in one call: YAML to Node to Declarations to Model to Compiled.
package enum Pipeline {
    /// All diagnostics of every stage, sorted; the compiled config when there are no errors.
    package static func compile(
        directory: URL, displayPrefix: String = "",
        inheritance: PackageInheritance = .everything
    ) -> (config: CompiledConfig?, diagnostics: [Diagnostic], files: SourceFiles) {
        compile(ConfigLoader(displayPrefix: displayPrefix).load(directory: directory), inheritance: inheritance)
    }

    /// The stages after loading, for a config already read (from disk or from memory).
    package static func compile(
        _ loaded: LoadedConfig,
        inheritance: PackageInheritance = .everything
    ) -> (config: CompiledConfig?, diagnostics: [Diagnostic], files: SourceFiles) {
        // A file that is not YAML is reported alone: resolving the rest would only report what it failed to declare.
        if loaded.hasSyntaxErrors { return (nil, loaded.diagnostics.sortedByLocation(), loaded.files) }
        let (model, diagnostics) = ModelBuilder.build(loaded)
        guard let model else { return (nil, diagnostics, loaded.files) }
        let (access, accessDiagnostics) = AccessPolicyBuilder.build(model, files: loaded.files)
        var compileDiagnostics = DefaultValueCheck.diagnostics(model.schema) + accessDiagnostics
        var validationRules: ValidationRuleSet?
        if let access {
            let built = ValidationRuleSet.build(model, policy: access, files: loaded.files)
            validationRules = built.rules
            compileDiagnostics += built.diagnostics + access.checkLists(model, files: loaded.files)
        }
        let all = (diagnostics + compileDiagnostics).sortedByLocation()
        guard let access, !all.hasErrors else { return (nil, all, loaded.files) }
        var records = RecordValidator(model: model, inheritance: inheritance)
        records.validationRules = validationRules
        return (CompiledConfig(loaded: loaded, model: model, records: records, access: access), all, loaded.files)
    }
}
