import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// Applies a plan: records the new version and migrates the documents it changes,
/// in one batch of the document log, so a crash at any instant leaves the store at
/// the old version or at the new one, never between.
package enum ConfigApplier {
    package struct Outcome: Sendable {
        package var version: Int
        package var recordsChanged: Int
        package var recordsRemoved: Int
        /// Where the values and records it removed were kept, when it removed any.
        package var backup: String?
    }

    /// `extra` adds keys to the version's record and log entry (a rollback names the version it returns to).
    package static func apply(
        _ plan: Plan, context: PlanContext, store: any CustomerStore, allowDataLoss: Bool, actor: String, time: String,
        extra: [(String, JSONValue)] = []
    ) throws(OperationError) -> Outcome {
        if let refusal = refusal(plan, allowDataLoss: allowDataLoss) { throw .invalid([refusal]) }
        let number = plan.version
        let scanner = DataImpactScanner(migrations: context.migrations)
        // Each worker migrates a contiguous share of the log; the shares are joined in
        // log order, so the batch lists the documents as the log holds them.
        final class Share: @unchecked Sendable {
            let tally = DataImpactScanner.Tally()
            var operations: [StoreOperation] = []
            var backup = ""
            var changed = 0, removed = 0
        }
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let shares = (0..<workers).map { _ in Share() }
        do {
            try store.forEachDocumentConcurrently(workers: workers) { w, bytes in
                let share = shares[w]
                guard (try? share.tally.tape.parse(bytes)) != nil else { return }
                let found: (JSONValue, RecordMigration)? = share.tally.tape.withView(bytes: bytes) { view in
                    scanner.inspect(view, order: 0, tally: share.tally).map { (view.value(0), $0) }
                }
                guard let (document, m) = found, let id = document["id"]?.stringValue else { return }
                if m.removesRecords {
                    share.operations.append(.delete(id: id))
                    let key = m.removedWith
                    share.operations.append(
                        .log(entry: logEntry(id, changes: [(key, document[key] ?? .null, .null)], number, actor, time)))
                    share.backup +=
                        JSONValue.object([
                            ("id", .string(id)), ("config_version", .number(String(number))), ("document", document),
                        ]).jsonText + "\n"
                    share.removed += 1
                    return
                }
                let (migrated, changes, kept) = migrate(document, m)
                guard !changes.isEmpty else { return }
                share.operations.append(.put(id: id, document: migrated))
                share.operations.append(.log(entry: logEntry(id, changes: changes, number, actor, time)))
                if !kept.isEmpty {
                    share.backup +=
                        JSONValue.object([
                            ("id", .string(id)), ("config_version", .number(String(number))), ("fields", .object(kept)),
                        ]).jsonText + "\n"
                }
                share.changed += 1
            }
            let operations = shares.flatMap(\.operations)
            let backup = shares.map(\.backup).joined()
            let changed = shares.reduce(0) { $0 + $1.changed }
            let removed = shares.reduce(0) { $0 + $1.removed }
            let backupPath =
                backup.isEmpty ? nil : try store.saveBackup("version-" + String(number) + ".jsonl", text: backup)
            let version = AppliedVersion(
                number: number, appliedAt: time, appliedBy: actor, files: context.files,
                inherited: context.inheritance.inherited)
            try store.applyVersion(version, extra: extra, operations: operations)
            return Outcome(version: number, recordsChanged: changed, recordsRemoved: removed, backup: backupPath)
        } catch {
            throw .store(error)
        }
    }

    /// Why the plan cannot be applied as asked: errors, or data loss not allowed.
    package static func refusal(_ plan: Plan, allowDataLoss: Bool) -> String? {
        if !plan.errors.isEmpty {
            return "the plan has \(plan.errors.count) error\(plan.errors.count == 1 ? "" : "s"); nothing was applied"
        }
        guard plan.losesData && !allowDataLoss else { return nil }
        let lost = plan.data.entries(.lost).map {
            "\($0.count) record\($0.count == 1 ? "" : "s") with \($0.what) (\($0.place)\($0.field.map { ", '\($0)'" } ?? ""))"
        }
        return
            "this change loses data: \(lost.joined(separator: "; ")); run 'clientele apply --allow-data-loss' to apply it (a backup of what is removed is kept)"
    }

    static func logEntry(
        _ id: String, changes: [(String, JSONValue, JSONValue)], _ number: Int, _ actor: String, _ time: String
    ) -> JSONValue {
        .object([
            ("time", .string(time)), ("actor", .string(actor)), ("type", .string("apply")),
            ("customers", .array([.string(id)])),
            ("changes", .array(changes.map { .object([("field", .string($0.0)), ("from", $0.1), ("to", $0.2)]) })),
            ("reason", .null), ("config_version", .number(String(number))),
        ])
    }

    /// The document under the new config: renamed fields, rewritten options, removed
    /// values (returned, for the backup), defaults filled in.
    static func migrate(_ document: JSONValue, _ m: RecordMigration) -> (
        JSONValue, [(String, JSONValue, JSONValue)], [(String, JSONValue)]
    ) {
        guard case .object(var members) = document else { return (document, [], []) }
        var fields: [(String, JSONValue)] = []
        if let k = members.firstIndex(where: { $0.0 == "fields" }), case .object(let f) = members[k].1 { fields = f }
        var changes: [(String, JSONValue, JSONValue)] = []
        var kept: [(String, JSONValue)] = []
        var result: [(String, JSONValue)] = []
        for (name, value) in fields {
            if m.dropped[name] != nil {
                if !value.isNull {
                    changes.append((name, value, .null))
                    kept.append((name, value))
                }
                continue
            }
            let identity = m.renames[name] ?? name
            if identity != name {
                changes.append((identity, .string("(field '\(name)')"), .string("(field '\(identity)')")))
            }
            var v = value
            if let map = m.remaps[identity] {
                let before = v
                v = mapStrings(v) { map[$0] ?? $0 }
                if v != before { changes.append((identity, before, v)) }
            }
            if let gone = m.lostOptions[identity] {
                let before = v
                switch v {
                case .string(let s) where gone.contains(s): v = .null
                case .array(let items): v = .array(items.filter { !($0.stringValue.map(gone.contains) ?? false) })
                default: break
                }
                if v != before {
                    changes.append((identity, before, v))
                    kept.append((identity, before))
                }
            }
            if !v.isNull { result.append((identity, v)) }
        }
        for d in m.defaults where !result.contains(where: { $0.0 == d.identity }) {
            result.append((d.identity, d.value))
            changes.append((d.identity, .null, d.value))
        }
        if let k = members.firstIndex(where: { $0.0 == "fields" }) {
            members[k].1 = .object(result)
        } else {
            members.append(("fields", .object(result)))
        }
        return (.object(members), changes, kept)
    }

    static func mapStrings(_ v: JSONValue, _ f: (String) -> String) -> JSONValue {
        switch v {
        case .string(let s): return .string(f(s))
        case .array(let items): return .array(items.map { $0.stringValue.map { .string(f($0)) } ?? $0 })
        default: return v
        }
    }
}
