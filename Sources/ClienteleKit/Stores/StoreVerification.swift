import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// `clientele store verify`, past the log: the caches kept beside the data against
/// the documents, under the applied version, read without changing anything.
package enum StoreVerification {
    /// The index files and caches of the store at `path`; run when the log itself is whole.
    package static func verifyIndex(storePath path: String) -> [StoreCheck.Problem] {
        let file = path + "/index/" + JSONFileStore.accessColumnsCache + ".bin"
        do throws(StoreError) {
            // Read only: the caches are compared, never written.
            guard AppliedStore.exists(at: path) else { return [] }
            let store = try JSONFileStore.open(path: path, writer: nil, caches: false)
            guard let applied = try AppliedStore(store: store) else { return [] }
            var problems = StoreCheck.verifyIndexFiles(of: store)
            // Every version a rollback may return to, checked as the applied one is.
            var numbers: Set<Int> = []
            for entry in try store.versionEntries() {
                guard let n = entry["config_version"].flatMap({ Int($0.jsonText) }), numbers.insert(n).inserted,
                    n != applied.version.number
                else { continue }
                do throws(StoreError) { _ = try store.readVersion(n) } catch {
                    problems.append(StoreCheck.Problem(file: error.file ?? path, line: 1, message: error.message))
                }
            }
            let unique = UniqueKeys(records: applied.config.records, duplicates: applied.config.model.duplicates)
            if !unique.isEmpty || !unique.duplicates.isEmpty || unique.locating.contains(true) {
                let kept = try store.uniqueValues(layout: unique.layout, keys: unique.keys(ofDocument:))
                let held = try UniqueValues.fromDocuments(store: store, keys: unique.keys(ofDocument:)).all()
                if kept.all() != held {
                    problems.append(
                        StoreCheck.Problem(
                            file: path + "/index/unique.bin", line: 1,
                            message:
                                "the unique values and matching keys do not match the documents; delete index/ (a cache) and the next command rebuilds it"
                        ))
                }
                // The documents themselves: a value of a unique field held twice (written before uniqueness was
                // enforced everywhere).
                // A matching rule's keys are shared on purpose: they are no unique values.
                let repeated = held.filter { $0.value.count > 1 && !DuplicateKey.isMatchKey($0.key) }.sorted {
                    $0.key < $1.key
                }
                if let (key, ids) = repeated.first {
                    let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false)
                    problems.append(
                        StoreCheck.Problem(
                            file: path + "/data", line: 1,
                            message:
                                "\(repeated.count) value\(repeated.count == 1 ? " of a unique field is" : "s of unique fields are") held by more than one customer; first: \(parts.count == 3 ? "'\(parts[1])' \(Shown.text(String(parts[2])))" : "a value") in \(ids.joined(separator: ", ")) (\(parts.first.map { String($0.dropFirst()) } ?? "")); edit all but one"
                        ))
                }
            }
            problems += try relatedRecordProblems(store, applied.config, path: path)
            let kept = try store.customerTable(for: applied.config.access)
            let parsed = try store.customerTableFromDocuments(for: applied.config.access)
            if kept.snapshot() != parsed.snapshot() {
                problems.append(
                    StoreCheck.Problem(
                        file: file, line: 1,
                        message:
                            "the access columns do not match the documents; delete index/ (a cache) and the next command rebuilds it"
                    ))
            }
            return problems
        } catch {
            // The file the error is in, or the store.
            return [StoreCheck.Problem(file: error.file ?? path, line: 1, message: error.message)]
        }
    }

    /// The related records that do not hold together under the applied version: of a kind
    /// it does not declare, whose document names another kind or id, whose customer is
    /// gone (or of a table the kind does not take), whose outer record is gone, or whose
    /// fields the kind refuses. At most `shown` are named, then counted.
    static func relatedRecordProblems(_ store: JSONFileStore, _ config: CompiledConfig, path: String, shown: Int = 10)
        throws(StoreError) -> [StoreCheck.Problem]
    {
        var found: [String] = []
        var count = 0
        var stored: [(kind: String, id: String, document: JSONValue?)] = []
        try store.forEachRecord(kind: nil) { kind, id, bytes in
            stored.append((kind, id, try? JSONValue.parse(String(decoding: bytes, as: UTF8.self))))
        }
        // Each customer's table, read once however many records it has (nil: not stored).
        var tables: [String: TableKind?] = [:]
        func table(of customer: String) -> TableKind? {
            if let known = tables[customer] { return known }
            let found = (try? store.document(customer))?[StoredKey.table.name]?.stringValue.flatMap(
                TableKind.init(rawValue:))
            tables[customer] = .some(found)
            return found
        }
        for (kind, id, document) in stored {
            var why: String?
            if let model = config.model.relatedKind(kind) {
                let customer = document?["customer"]?.stringValue
                let table = customer.flatMap(table(of:))
                if document?["kind"]?.stringValue != kind || document?["id"]?.stringValue != id {
                    why = "its document names another kind or id"
                } else if customer == nil || table == nil {
                    why = "its customer \(customer.map { "'\($0)' " } ?? "")is not stored"
                } else if let table, !model.accepts(parent: table) {
                    why = "its customer \(customer!) is of the \(table.rawValue) table, which the kind does not take"
                } else if let outer = model.within,
                    (try? store.record(kind: outer, id: document?["within"]?.stringValue ?? "")) == nil
                {
                    why = "the record of '\(outer)' it is within is not stored"
                } else if let validator = config.records.kinds[kind],
                    let problem = validator.problems(inFields: document?["fields"] ?? .object([])).first
                {
                    why = "its fields are refused: \(problem.description)"
                }
            } else {
                why = "the applied config has no related kind '\(kind)'"
            }
            guard let why else { continue }
            count += 1
            if found.count < shown { found.append("\(kind) \(id): \(why)") }
        }
        guard count > 0 else { return [] }
        let more = count > found.count ? "; and \(count - found.count) more" : ""
        return [
            StoreCheck.Problem(
                file: path + "/data", line: 1,
                message:
                    "\(count) related record\(count == 1 ? " does" : "s do") not hold together: \(found.joined(separator: "; "))\(more) (the config or the data changed under \(count == 1 ? "it" : "them"); 'store repair' does not change records)"
            )
        ]
    }

    /// `clientele store repair`: cuts what the log cannot keep (saved to `backups/`
    /// first) and removes the caches that no longer match the data.
    package static func repair(storePath path: String, time: String) throws(StoreError) -> StoreCheck.Repair {
        try StoreCheck.repair(storePath: path, time: time) {
            verifyIndex(storePath: path).contains { $0.file.hasPrefix(path + "/index/") }
        }
    }
}
