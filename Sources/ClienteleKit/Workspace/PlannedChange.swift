import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// A config compared with the store's applied version: the plan, and what applying
/// it needs. `plan`, `apply` and `rollback` are this one use case.
package struct PlannedChange {
    /// The store, open (as a writer when the change is to be applied).
    package let store: any CustomerStore
    /// What applying would do: schema, data, access and pools.
    package let plan: Plan
    /// What applying needs besides the plan (both configs, migrations).
    package let context: PlanContext
    /// The new config's diagnostics (warnings; a config with errors throws) and its files.
    package let diagnostics: [Diagnostic]
    package let files: SourceFiles

    /// Where the new config comes from.
    package enum Source: Sendable {
        /// The config directory's files.
        case directory
        /// An applied version's files (a rollback).
        case version(Int)
        /// Files given as they are (path relative to the config directory, and text):
        /// a config sent to the service.
        case files([(path: String, text: String)])
    }

    /// Opens the store of `directory` (as `writer` when the change will be applied)
    /// and plans `source` against its applied version; nil when no version is applied
    /// yet. `actor`, when given, must be allowed `configure` by the applied version.
    /// `now`: seconds since 1970, for the pools' due dates.
    package static func make(directory: ConfigDirectory, writer: String?, source: Source, actor: String?, now: Double)
        throws(OperationError) -> PlannedChange?
    {
        guard let opened = try directory.openIfApplied(writer: writer) else { return nil }
        let (store, applied, version) = (opened.store, opened.config, opened.version)
        if let actor {
            try applied.refuseUnlessConfigure(try applied.actingUser(actor), doing: "change the config of this store")
        }
        let newFiles: [(path: String, text: String)]
        let loaded: LoadedConfig
        switch source {
        case .directory:
            loaded = ConfigLoader(displayPrefix: directory.displayPrefix).load(directory: directory.url)
            newFiles = ConfigLoader.configFiles(of: loaded)
        case .version(let n):
            let record: AppliedVersion
            do { record = try store.readVersion(n) } catch {
                throw .invalid([
                    n > version.number || n < 1
                        ? "there is no config version \(n); this store holds versions 1 to \(version.number)"
                        : error.message
                ])
            }
            newFiles = record.files
            loaded = Planner.load(record)
        case .files(let files):
            newFiles = files
            loaded = Planner.load(files: files, displayPrefix: "")
        }
        let (compiled, diagnostics, files) = Pipeline.compile(loaded, inheritance: version.inheritance)
        guard let compiled else { throw .config(diagnostics, files) }
        do {
            let (plan, context) = try Planner.plan(
                store: store, applied: applied, new: compiled, files: newFiles, now: now)
            return PlannedChange(store: store, plan: plan, context: context, diagnostics: diagnostics, files: files)
        } catch {
            throw .store(error)
        }
    }

    /// The first active user the applied version allows `configure` (for hints).
    package var configurer: String? {
        let applied = context.applied
        let org = applied.access.org
        return org.userIds.indices.first { org.userActive[$0] && applied.mayConfigure($0) }.map { org.userIds[$0] }
    }

    /// Why applying must not go ahead (errors in the plan, or data loss not allowed); nil when it may.
    package func refusal(allowDataLoss: Bool) -> String? {
        ConfigApplier.refusal(plan, allowDataLoss: allowDataLoss)
    }

    /// Applies the plan: the new version and its migration in one batch. `extra`
    /// adds members to the version's record and log entry (a rollback names the
    /// version it returns to).
    package func apply(allowDataLoss: Bool, actor: String, time: String, extra: [(String, JSONValue)] = [])
        throws(OperationError) -> ConfigApplier.Outcome
    {
        try ConfigApplier.apply(
            plan, context: context, store: store, allowDataLoss: allowDataLoss, actor: actor, time: time, extra: extra)
    }

    /// Why a plan saved by `plan --out` (its text) does not apply to this change: it
    /// is not a saved plan, or the config or the data changed since; nil when it applies.
    package func savedPlanProblem(_ text: String?, path: String) -> String? {
        guard let text, let saved = try? JSONValue.parse(text),
            let config = saved["config_hash"]?.stringValue, let data = saved["data_hash"]?.stringValue
        else {
            return "\(path) is not a plan saved by 'clientele plan --out'"
        }
        var changed: [String] = []
        if config != plan.configHash { changed.append("the config") }
        if data != plan.dataHash { changed.append("the stored data") }
        guard changed.isEmpty else {
            return
                "\(changed.joined(separator: " and ")) changed since the plan in \(path) was made; nothing was applied: run 'clientele plan' again"
        }
        return nil
    }
}
