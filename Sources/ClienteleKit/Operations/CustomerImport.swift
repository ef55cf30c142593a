import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Dispatch
import Foundation

/// `import` for real: every row validated, the `import` action checked on each
/// row's customer, then all accepted rows stored in one batch with one log entry.
/// Without a rejects file, any refused row refuses the whole file.
package struct CustomerImport {
    package let operations: CustomerOperations

    /// A dry run before there is a store: every row checked against `config` alone
    /// (no stored ids, unique values or rules to check them against yet).
    package static func check(
        _ bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat, config: CompiledConfig,
        defaults: RecordValidator.Defaults, progress: @escaping (Int) -> Void = { _ in }
    ) throws(ImportFileError) -> ImportReport {
        try ImportChecker(records: config.records, defaults: defaults).check(bytes, format: format, progress: progress)
    }

    package init(config: CompiledConfig, store: any CustomerStore) {
        operations = CustomerOperations(config: config, store: store)
    }

    package struct Outcome: Sendable {
        package var report: ImportReport
        /// Rows the access rules refused (also in `report.rejected`).
        package var refusedByRules: Int
        package var stored: [String]
        /// Rows a matching rule that warns finds alike stored customers or earlier rows,
        /// by line (rows a refusing rule matches are in `report.rejected`).
        package var duplicates: [(line: Int, id: String, match: DuplicateMatch)] = []
    }

    /// `keepRejected`: store the accepted rows even when others are refused (the
    /// caller writes the refused ones to a rejects file).
    /// `dryRun`: every check of a real import (ids and unique values the store holds,
    /// the rules when `actor` is given), and nothing stored.
    ///
    /// Rows are checked on every core; then they are turned into documents and
    /// checked against the rules, on every core again and a few thousand rows at a
    /// time, while the batch streams out in file order. The documents are never all
    /// held at once.
    package func run(
        _ bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat, defaults: RecordValidator.Defaults, actor: String?,
        time: String, source: String, keepRejected: Bool, dryRun: Bool = false, progress: ((Int) -> Void)? = nil
    ) throws -> Outcome {
        let config = operations.config
        let store = operations.store
        let u = try actor.map { a throws(OperationError) in try operations.user(a) }
        // Progress in bytes of the file: checking is the first half, storing the second.
        // Unique values are compared with the store's as the file's rows are checked.
        var file = try ImportChecker(records: config.records, defaults: defaults, held: try heldValues())
            .checkForStoring(bytes, format: format, progress: progress.map { report in { report($0 / 2) } })
        var rejected = Dictionary(uniqueKeysWithValues: file.report.rejected.map { ($0.line, $0) })
        let assigned = assignIds(&file.rows, rejected: &rejected)
        let rows = file.rows
        let builder = ImportDocumentBuilder(records: config.records, actor: actor ?? "", time: time)
        var refusedByRules = 0
        var stored: [String] = []
        var duplicates: [(line: Int, id: String, match: DuplicateMatch)] = []
        // New customers are compared with the stored ones and the rows before them.
        let matching = try DuplicateCheck(operations: operations, user: u)
        var refused = false
        var built = 0

        /// With `storing` false nothing is put: the rules run for the report alone.
        func buildAll(
            _ input: UnsafeBufferPointer<UInt8>, storing: Bool,
            _ put: (String, UnsafeBufferPointer<UInt8>) throws -> Void
        ) throws {
            try Self.buildInChunks(
                rows, assigned: assigned, input: input, builder: builder, policy: config.access, user: u,
                actor: actor ?? ""
            ) { chunk in
                var chunk = chunk
                if let matching { try Self.checkDuplicates(&chunk, matching, into: &duplicates) }
                for refusal in chunk.refusals {
                    refusedByRules += 1
                    rejected[refusal.line] = RejectedRow(
                        line: refusal.line, id: refusal.id,
                        problems: [RecordProblem(column: "", message: refusal.message)])
                }
                for conflict in chunk.conflicts {
                    var problem = conflict.problem
                    problem.column = file.columnNames[problem.column] ?? problem.column
                    rejected[conflict.line] = RejectedRow(line: conflict.line, id: conflict.id, problems: [problem])
                }
                refused = refused || !chunk.refusals.isEmpty || !chunk.conflicts.isEmpty
                guard storing, keepRejected || !refused else { return }
                try chunk.documents.withUnsafeBufferPointer { documents in
                    for (id, _, range) in chunk.stored {
                        try put(id, UnsafeBufferPointer(rebasing: documents[range]))
                    }
                }
                stored += chunk.stored.map(\.id)
                built += chunk.stored.count + chunk.refusals.count + chunk.conflicts.count
                progress?(bytes.count / 2 + bytes.count / 2 * built / max(rows.count, 1))
            }
        }
        try file.converted.withUnsafeBufferPointer { converted in
            let input = format == .csv ? converted : bytes
            // With a refused row and no rejects file nothing is stored; the rules still run, for the report.
            guard !dryRun, keepRejected || rejected.isEmpty else {
                if u != nil || matching != nil { try buildAll(input, storing: false) { _, _ in } }
                return
            }
            do {
                try store.commitStreaming { put, log in
                    try buildAll(input, storing: true, put)
                    // All or nothing: a row the rules refused cancels the batch.
                    guard keepRejected || !refused, !stored.isEmpty else { throw CancelledBatch() }
                    try log(
                        .object([
                            ("time", .string(time)), ("actor", .string(actor ?? "")), ("type", .string("import")),
                            ("customers", .array(stored.map { .string($0) })), ("changes", .array([])),
                            ("reason", .string(source)), ("config_version", .number(String(operations.configVersion))),
                        ]))
                }
            } catch is CancelledBatch {
                stored = []
            }
        }
        file.report.rejected = rejected.values.sorted { $0.line < $1.line }
        return Outcome(
            report: file.report, refusedByRules: refusedByRules, stored: stored,
            duplicates: duplicates.sorted { $0.line < $1.line })
    }

    private struct CancelledBatch: Error {}

    /// Whether the store holds a unique value, by its key; nil when there is nothing to check.
    func heldValues() throws(StoreError) -> (@Sendable (String) -> Bool)? {
        let unique = operations.unique
        guard !unique.isEmpty, operations.store.count > 0 else { return nil }
        let held = try operations.store.uniqueValues(layout: unique.layout, keys: unique.keys(ofDocument:))
        return { !held.ids(holding: $0).isEmpty }
    }

    /// Refuses rows whose id the store already holds, and numbers the rows that give
    /// none after the highest number in use, in the store and in the file. Returns
    /// the indexes of the numbered rows.
    func assignIds(_ rows: inout [ImportChecker.CheckedRow], rejected: inout [Int: RejectedRow]) -> Set<Int> {
        let store = operations.store
        let config = operations.config
        var highest: [String: Int] = [:]
        for row in rows {
            guard let id = row.id else { continue }
            let prefix = String(id.prefix { !$0.isNumber })
            if let n = Int(id.dropFirst(prefix.count)) {
                highest[prefix] = max(highest[prefix] ?? store.highestNumber(prefix: prefix), n)
            }
        }
        var assigned: Set<Int> = []
        var kept: [ImportChecker.CheckedRow] = []
        kept.reserveCapacity(rows.count)
        for var row in rows {
            if let id = row.id {
                if store.isTaken(id) {
                    rejected[row.line] = RejectedRow(
                        line: row.line, id: id,
                        problems: [RecordProblem(column: "id", message: "id '\(id)' is taken in the store")])
                    continue
                }
                if let kind = RelatedRecords.kind(ofId: id, in: config.model) {
                    rejected[row.line] = RejectedRow(
                        line: row.line, id: id,
                        problems: [
                            RecordProblem(
                                column: "id",
                                message: "id '\(id)' is numbered as a record of \(kind.subject), not a customer")
                        ])
                    continue
                }
            } else {
                let numbering = config.model.schema.numbering(for: config.records.validators[row.validator].table)
                var n = (highest[numbering.prefix] ?? store.highestNumber(prefix: numbering.prefix)) + 1
                while store.contains(numbering.format(n)) { n += 1 }
                highest[numbering.prefix] = n
                row.id = numbering.format(n)
                assigned.insert(kept.count)
            }
            kept.append(row)
        }
        rows = kept
        return assigned
    }

    /// What one chunk of rows became: its documents side by side in one buffer, and
    /// the rows the rules refused.
    struct ChunkOutput {
        var documents: [UInt8] = []
        var stored: [(id: String, line: Int, range: Range<Int>)] = []
        var refusals: [(line: Int, id: String, message: String)] = []
        /// Rows a matching rule refuses (like a unique value in use: not the access rules).
        var conflicts: [(line: Int, id: String, problem: RecordProblem)] = []
    }

    /// Compares the chunk's new customers with the stored ones and the rows before them:
    /// a refusing rule's match becomes a refusal of the row, a warning's is noted.
    /// Only the rows kept are compared with the rows after them.
    static func checkDuplicates(
        _ chunk: inout ChunkOutput, _ matching: DuplicateCheck,
        into duplicates: inout [(line: Int, id: String, match: DuplicateMatch)]
    ) throws(OperationError) {
        var kept: [(id: String, line: Int, range: Range<Int>)] = []
        try chunk.documents.withUnsafeBufferPointer { (documents) throws(OperationError) in
            for entry in chunk.stored {
                let checked = try matching.check(UnsafeBufferPointer(rebasing: documents[entry.range]))
                if let refusal = checked.matches.first(where: \.refuses) {
                    chunk.conflicts.append(
                        (entry.line, entry.id, RecordProblem(column: refusal.field, message: refusal.message)))
                    continue
                }
                matching.remember(checked, row: entry.line)
                duplicates += checked.matches.map { (entry.line, entry.id, $0) }
                kept.append(entry)
            }
        }
        chunk.stored = kept
    }

    /// Builds the documents of `rows` and checks the `import` action on each, in
    /// chunks on every core; `body` gets the chunks in file order, on the calling
    /// thread, while the next chunks are being built.
    static func buildInChunks(
        _ rows: [ImportChecker.CheckedRow], assigned: Set<Int>, input: UnsafeBufferPointer<UInt8>,
        builder: ImportDocumentBuilder, policy: AccessPolicy, user: Int?, actor: String,
        _ body: (ChunkOutput) throws -> Void
    ) throws {
        let chunkSize = 4_096
        let chunkCount = (rows.count + chunkSize - 1) / chunkSize
        let wave = 2 * ProcessInfo.processInfo.activeProcessorCount
        let shared = UncheckedSendable((rows: rows, input: input, assigned: assigned, builder: builder))
        /// Starts building the chunks of one wave; the group is done when they all are.
        func start(_ chunks: Range<Int>) -> (outputs: UnsafeMutableBufferPointer<ChunkOutput>, group: DispatchGroup) {
            let outputs = UnsafeMutableBufferPointer<ChunkOutput>.allocate(capacity: chunks.count)
            outputs.initialize(repeating: ChunkOutput())
            let slots = UncheckedSendable(outputs)
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) {
                // Each worker reads the shared rows and writes only its own output slot.
                DispatchQueue.concurrentPerform(iterations: chunks.count) { k in
                    let (rows, input, assigned, builder) = shared.value
                    let lower = (chunks.lowerBound + k) * chunkSize
                    slots.value[k] = buildChunk(
                        rows, lower..<min(lower + chunkSize, rows.count), assigned: assigned, input: input,
                        builder: builder, policy: policy, user: user, actor: actor)
                }
            }
            return (outputs, group)
        }
        var first = 0
        var building = start(0..<min(wave, chunkCount))
        while true {
            let current = building
            building.group.wait()
            defer {
                current.outputs.deinitialize()
                current.outputs.deallocate()
            }
            first += current.outputs.count
            guard first < chunkCount else {
                for output in current.outputs { try body(output) }
                return
            }
            building = start(first..<min(first + wave, chunkCount))
            // Whatever `body` does, the next wave must be finished before its buffers go.
            do {
                for output in current.outputs { try body(output) }
            } catch {
                building.group.wait()
                building.outputs.deinitialize()
                building.outputs.deallocate()
                throw error
            }
        }
    }

    /// The fields a row gives a value (not null) to.
    static func givenFields(_ view: JSONView) -> [String] {
        guard view.kind(0) == .object else { return [] }
        var j = 1
        while j < view.next(0) {
            if view.stringEquals(j, "fields"), view.kind(j + 1) == .object {
                var names: [String] = []
                var f = j + 2
                while f < view.next(j + 1) {
                    if view.kind(f + 1) != .null { names.append(view.string(f)) }
                    f = view.next(f + 1)
                }
                return names
            }
            j = view.next(j + 1)
        }
        return []
    }

    static func buildChunk(
        _ rows: [ImportChecker.CheckedRow], _ range: Range<Int>, assigned: Set<Int>, input: UnsafeBufferPointer<UInt8>,
        builder: ImportDocumentBuilder, policy: AccessPolicy, user: Int?, actor: String
    ) -> ChunkOutput {
        var output = ChunkOutput()
        let table = policy.makeCustomerTable()
        var tape = JSONTape()
        var documentTape = JSONTape()
        for index in range {
            let row = rows[index]
            let id = row.id!  // every row has its id once `assignIds` ran
            let record = UnsafeBufferPointer(rebasing: input[row.offset..<(row.offset + row.length)])
            let start = output.documents.count
            let built =
                (try? tape.parse(record)) != nil
                && tape.withView(bytes: record) { view in
                    builder.build(
                        view, validator: row.validator, assignedId: assigned.contains(index) ? id : nil,
                        into: &output.documents)
                }
            let added =
                built
                && output.documents.withUnsafeBufferPointer { documents in
                    table.addDocument(UnsafeBufferPointer(rebasing: documents[start...]), tape: &documentTape)
                }
            guard added else {
                // A row that passed validation always makes a document; this guards the store all the same.
                output.documents.removeSubrange(start...)
                output.refusals.append((row.line, id, "the row could not be turned into a stored document"))
                continue
            }
            let c = table.count - 1
            if let user, !policy.isAllowed(user: user, action: .import, customer: c, in: table) {
                output.documents.removeSubrange(start...)
                let reasons = policy.explain(user: user, action: .import, customer: c, in: table).reasons.joined(
                    separator: "; ")
                output.refusals.append((row.line, id, "\(actor) may not import this customer: \(reasons)"))
                continue
            }
            // As `add`: a value the field rules make read-only for the user is not theirs to write.
            if let user, policy.hasFieldRules {
                let access = policy.fieldAccess(user: user, customer: c, in: table)
                let readOnly = tape.withView(bytes: record) { Self.givenFields($0) }.filter { !access.canWrite($0) }
                if !readOnly.isEmpty {
                    output.documents.removeSubrange(start...)
                    output.refusals.append(
                        (
                            row.line, id,
                            "\(actor) may not write \(readOnly.map { "'\($0)'" }.joined(separator: ", ")): the field rules make \(readOnly.count == 1 ? "it" : "them") read-only for them"
                        ))
                    continue
                }
            }
            output.stored.append((id, row.line, start..<output.documents.count))
        }
        return output
    }
}
