import ClienteleCore
import ClienteleModel
import ClienteleSpec
import Dispatch
import Foundation

/// Validates every row of a CSV or JSON Lines file against a compiled config,
/// as `import --dry-run` does: nothing is stored, every refusal is reported
/// with its line and column.
package struct ImportChecker: Sendable {
    package let records: RecordValidator
    package let defaults: RecordValidator.Defaults
    /// At most this many threads check a large file (default: one per core).
    package let workers: Int
    /// Whether the store already holds a unique value (its key, as `UniqueKeys` makes it):
    /// such a row is refused like one repeating a value of the file.
    package let held: (@Sendable (String) -> Bool)?

    package init(
        records: RecordValidator, defaults: RecordValidator.Defaults, workers: Int? = nil,
        held: (@Sendable (String) -> Bool)? = nil
    ) {
        self.records = records
        self.defaults = defaults
        self.held = held
        self.workers = max(1, min(workers ?? ProcessInfo.processInfo.activeProcessorCount, 16))
    }

    /// Checks the whole of `bytes`; `progress` is called now and then with the bytes done.
    package func check(
        _ bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat,
        progress: ((Int) -> Void)? = nil
    ) throws(ImportFileError) -> ImportReport {
        switch format {
        case .jsonLines:
            return checkJSONLines(bytes, progress: progress, keepRows: false).report
        case .csv:
            var names: [String: String] = [:]
            return try checkCSV(bytes, progress: progress, columnNames: &names, rows: nil)
        }
    }

    /// A row that passed its own checks, and where its JSON is: in the checked bytes
    /// (JSON Lines) or in `CheckedFile.converted` (CSV rows, turned into JSON).
    package struct CheckedRow: Sendable {
        package var line: Int
        package var offset: Int
        package var length: Int
        /// The validator the row was checked against (its team, table and package).
        package var validator: Int
        /// The id the row gives, if any.
        package var id: String?
    }

    /// What storing a file needs from the check: the report, and every row that
    /// passed all checks (ids and unique values across the file included), in file order.
    package struct CheckedFile: Sendable {
        package var report: ImportReport
        package var rows: [CheckedRow]
        package var converted: [UInt8] = []
        /// A CSV file's header name of each field (by identity), for the problems found later.
        package var columnNames: [String: String] = [:]
    }

    /// Checks like `check`, and keeps where every accepted row is, for storing them.
    package func checkForStoring(
        _ bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat,
        progress: ((Int) -> Void)? = nil
    ) throws(ImportFileError) -> CheckedFile {
        var file: CheckedFile
        switch format {
        case .jsonLines:
            let (report, rows) = checkJSONLines(bytes, progress: progress, keepRows: true)
            file = CheckedFile(report: report, rows: rows)
        case .csv:
            var converted: [UInt8] = []
            var rows: [CheckedRow] = []
            var names: [String: String] = [:]
            let report = try checkCSV(bytes, progress: progress, columnNames: &names) {
                line, record, validator, id in
                rows.append(
                    CheckedRow(line: line, offset: converted.count, length: record.count, validator: validator, id: id))
                converted.append(contentsOf: record)
            }
            file = CheckedFile(report: report, rows: rows, converted: converted, columnNames: names)
        }
        let rejected = Set(file.report.rejected.map(\.line))
        if !rejected.isEmpty { file.rows.removeAll { rejected.contains($0.line) } }
        return file
    }

    /// A value that must not repeat across the file: a record id, or a unique field's value.
    package struct Claim {
        package var key: String
        var line: Int
        /// The id of the row that makes the claim, for the report.
        var id: String?
        package var column: String
        /// Nil for a record id; for a unique value, the validator and the field's index in it.
        var unique: (validator: Int, field: Int)? = nil

        /// The problem when the key was already claimed on row `first` (built only then).
        func problem(firstRow first: Int, _ records: RecordValidator) -> RecordProblem {
            guard let unique else {
                return RecordProblem(column: column, message: "id '\(key)' is already used on row \(first)")
            }
            let validator = records.validators[unique.validator]
            let value = String(key.split(separator: "\u{0}", omittingEmptySubsequences: false).last ?? "")
            return RecordProblem(
                column: column,
                message:
                    "\(validator.fields[unique.field].label) must be unique in \(validator.place), but \(Shown.text(value)) is already used on row \(first)"
            )
        }

        /// The problem of a unique value the store already holds (naming no customer).
        package func heldProblem(_ records: RecordValidator) -> RecordProblem? {
            guard let unique else { return nil }
            let validator = records.validators[unique.validator]
            let value = String(key.split(separator: "\u{0}", omittingEmptySubsequences: false).last ?? "")
            return RecordProblem(
                column: column,
                message:
                    "\(validator.fields[unique.field].label) must be unique in \(validator.place), but \(Shown.text(value)) is already in use"
            )
        }
    }

    /// What one chunk of a JSON Lines file produced.
    struct ChunkResult {
        var rows = 0
        var lines = 0
        var rejected: [RejectedRow] = []
        var claims: [Claim] = []
        /// Rows that passed their own checks (lines and offsets within the chunk), when kept.
        var accepted: [CheckedRow] = []
    }

    /// Rows are independent, so large files are checked in chunks on every core;
    /// ids and unique values are then settled in file order.
    private func checkJSONLines(_ bytes: UnsafeBufferPointer<UInt8>, progress: ((Int) -> Void)?, keepRows: Bool) -> (
        report: ImportReport, rows: [CheckedRow]
    ) {
        let workers = bytes.count < 4 << 20 ? 1 : self.workers
        var cuts = [0]
        for k in 1..<workers {
            var cut = bytes.count * k / workers
            while cut < bytes.count, bytes[cut - 1] != 0x0A { cut += 1 }
            cuts.append(max(cut, cuts.last!))
        }
        cuts.append(bytes.count)
        let bounds = cuts
        let results = UnsafeMutableBufferPointer<ChunkResult>.allocate(capacity: workers)
        results.initialize(repeating: ChunkResult())
        defer {
            results.deinitialize()
            results.deallocate()
        }
        let doneBytes = ProgressCounter()
        // Each worker reads its own slice of `bytes` and writes only its own result slot.
        let shared = UncheckedSendable((bytes: bytes, results: results, progress: progress))
        DispatchQueue.concurrentPerform(iterations: workers) { k in
            let (bytes, results, progress) = shared.value
            let chunk = UnsafeBufferPointer(rebasing: bytes[bounds[k]..<bounds[k + 1]])
            let records = k == 0 ? records : records.copyForAnotherThread()
            results[k] = checkChunk(chunk, records: records, keepRows: keepRows) { done in
                let total = doneBytes.add(done)
                if k == 0 { progress?(total) }
            }
        }
        var report = ImportReport()
        var byLine: [Int: RejectedRow] = [:]
        var claims: [Claim] = []
        var rows: [CheckedRow] = []
        var lineOffset = 0
        for k in 0..<workers {
            report.rows += results[k].rows
            if keepRows {
                rows.reserveCapacity(rows.count + results[k].accepted.count)
                for var row in results[k].accepted {
                    row.line += lineOffset
                    row.offset += bounds[k]
                    rows.append(row)
                }
                results[k].accepted = []
            }
            for var row in results[k].rejected {
                row.line += lineOffset
                byLine[row.line] = row
            }
            claims.append(
                contentsOf: results[k].claims.map {
                    var c = $0
                    c.line += lineOffset
                    return c
                })
            lineOffset += results[k].lines
        }
        var first: [String: Int] = [:]
        first.reserveCapacity(claims.count)
        for claim in claims {
            if let earlier = first[claim.key] {
                let problem = claim.problem(firstRow: earlier, records)
                byLine[claim.line, default: RejectedRow(line: claim.line, id: claim.id, problems: [])].problems.append(
                    problem)
            } else {
                first[claim.key] = claim.line
                if claim.unique != nil, let held, held(claim.key), let problem = claim.heldProblem(records) {
                    byLine[claim.line, default: RejectedRow(line: claim.line, id: claim.id, problems: [])].problems
                        .append(problem)
                }
            }
        }
        report.rejected = byLine.values.sorted { $0.line < $1.line }
        progress?(bytes.count)
        return (report, rows)
    }

    private func checkChunk(
        _ bytes: UnsafeBufferPointer<UInt8>, records: RecordValidator, keepRows: Bool, progress: (Int) -> Void
    ) -> ChunkResult {
        var result = ChunkResult()
        var tape = JSONTape()
        var scratch = [Int32](repeating: -1, count: records.maximumSlotCount)
        var problems: [RecordProblem] = []
        let hasUnique = records.validators.contains { $0.fields.contains(where: \.unique) }
        result.claims.reserveCapacity(bytes.count / 512)
        var lineNumber = 0
        var reported = 0
        for next in Lines(bytes) {
            lineNumber = next.number
            let start = next.start
            var lineEnd = next.end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<lineEnd])
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            result.rows += 1
            if result.rows % 16_384 == 0 {
                progress(start - reported)
                reported = start
            }
            do {
                try tape.parse(line)
            } catch {
                let column =
                    String(
                        decoding: UnsafeBufferPointer(rebasing: line[..<min(error.offset, line.count)]), as: UTF8.self
                    ).unicodeScalars.count + 1
                result.rejected.append(
                    RejectedRow(
                        line: lineNumber, id: nil,
                        problems: [RecordProblem(column: "\(column)", message: "invalid JSON: \(error.message)")]))
                continue
            }
            problems.removeAll(keepingCapacity: true)
            tape.withView(bytes: line) { view in
                let outcome = records.validate(
                    view, defaults: defaults, importing: true, scratch: &scratch, problems: &problems)
                var id: String?
                if let token = outcome.idToken {
                    id = view.string(token)
                    result.claims.append(Claim(key: id!, line: lineNumber, id: id, column: "id"))
                }
                if hasUnique, let v = outcome.validator {
                    Self.uniqueClaims(
                        view, fields: Self.fieldsObject(view), validator: v, records: records, line: lineNumber, id: id,
                        withDefaults: true, into: &result.claims)
                }
                if !problems.isEmpty {
                    result.rejected.append(RejectedRow(line: lineNumber, id: id, problems: problems))
                } else if keepRows {
                    // A record without problems always has its validator.
                    result.accepted.append(
                        CheckedRow(
                            line: lineNumber, offset: start, length: line.count, validator: outcome.validator!, id: id))
                }
            }
        }
        progress(bytes.count - reported)
        result.lines = lineNumber
        return result
    }

    /// Claims for each unique field's normalised value, scoped to the table or package.
    /// `withDefaults`: a row that leaves a unique field out claims its default, which
    /// storing the row fills in (an import row; a stored document has its values).
    package static func uniqueClaims(
        _ view: JSONView, fields object: Int?, validator index: Int, records: RecordValidator, line: Int, id: String?,
        withDefaults: Bool = false, into claims: inout [Claim]
    ) {
        let validator = records.validators[index]
        for (k, field) in validator.fields.enumerated() where field.unique {
            var given = false
            if let object {
                var j = object + 1
                while j < view.next(object) {
                    if view.string(j) == field.identity {
                        given = view.kind(j + 1) != .null
                        // An empty value holds nothing, as in `customer add`: two empty values never clash.
                        if view.kind(j + 1) == .string,
                            case let value = Normalizer.normalize(view.string(j + 1), field.spec.normalize),
                            !value.isEmpty
                        {
                            claims.append(claim(value, field, k))
                        }
                    }
                    j = view.next(j + 1)
                }
            }
            if withDefaults, !given, case .string(let value)? = field.defaultValue {
                claims.append(claim(Normalizer.normalize(value, field.spec.normalize), field, k))
            }
        }
        func claim(_ value: String, _ field: Field, _ k: Int) -> Claim {
            Claim(
                key: "\u{1}" + validator.place + "\u{0}" + field.identity + "\u{0}" + value, line: line, id: id,
                column: field.identity, unique: (index, k))
        }
    }

    static func fieldsObject(_ view: JSONView) -> Int? {
        guard view.kind(0) == .object else { return nil }
        var j = 1
        while j < view.next(0) {
            if view.kind(j + 1) == .object, view.stringEquals(j, "fields") { return j + 1 }
            j = view.next(j + 1)
        }
        return nil
    }

    /// A CSV row that passed its checks: its line, its JSON, its validator and its id.
    typealias CSVRowSink = (_ line: Int, _ record: UnsafeBufferPointer<UInt8>, _ validator: Int, _ id: String?) -> Void

    private func checkCSV(
        _ bytes: UnsafeBufferPointer<UInt8>, progress: ((Int) -> Void)?, columnNames: inout [String: String],
        rows: CSVRowSink?
    ) throws(ImportFileError) -> ImportReport {
        var reader = CSVReader(bytes)
        var headerRecord: CSVReader.Record?
        do { headerRecord = try reader.next() } catch {
            throw ImportFileError(error.message, line: error.line, column: error.column)
        }
        guard let headerRecord else {
            throw ImportFileError("the file is empty; a CSV import starts with a header row")
        }
        guard
            let team = defaults.team
                ?? defaults.package.flatMap({ p in records.packageList.first { $0.id == p }?.team })
        else {
            throw ImportFileError(
                "a CSV file does not say which team its customers belong to; give --team (the teams are \(records.teamIds.joined(separator: ", ")))"
            )
        }
        guard
            let table = defaults.table
                ?? defaults.package.flatMap({ p in records.packageList.first { $0.id == p }?.table })
        else {
            throw ImportFileError("a CSV file does not say which table it fills; give --table")
        }
        guard let index = records.validatorIndex(team: team, table: table, package: defaults.package) else {
            throw ImportFileError(
                "package '\(defaults.package ?? "")' is not a package of team '\(team)', table '\(table.rawValue)'")
        }
        let validator = records.validators[index]
        let columns = try CSVColumns(header: headerRecord.cells, validator: validator, line: headerRecord.line)
        columnNames = columns.columnName
        let rowDefaults = RecordValidator.Defaults(team: team, table: table, package: defaults.package)

        var report = ImportReport()
        var tape = JSONTape()
        var scratch = [Int32](repeating: -1, count: records.maximumSlotCount)
        var problems: [RecordProblem] = []
        var firstClaims: [String: Int] = [:]
        var claims: [Claim] = []
        while true {
            let row: CSVReader.Record?
            do { row = try reader.next() } catch {
                throw ImportFileError(error.message, line: error.line, column: error.column)
            }
            guard let row else { break }
            report.rows += 1
            if report.rows % 65_536 == 0 { progress?(0) }
            if row.cells.count > columns.targets.count {
                report.rejected.append(
                    RejectedRow(
                        line: row.line, id: nil,
                        problems: [
                            RecordProblem(
                                column: "\(columns.targets.count + 1)",
                                message:
                                    "the row has \(row.cells.count) cells but the header has \(columns.targets.count) columns"
                            )
                        ]))
                continue
            }
            let text = Array(columns.record(row.cells, defaults: rowDefaults).jsonText.utf8)
            problems.removeAll(keepingCapacity: true)
            var id: String?
            text.withUnsafeBufferPointer { buffer in
                guard (try? tape.parse(buffer)) != nil else { return }
                tape.withView(bytes: buffer) { view in
                    let outcome = records.validate(
                        view, defaults: rowDefaults, importing: true, scratch: &scratch, problems: &problems)
                    claims.removeAll(keepingCapacity: true)
                    if let token = outcome.idToken {
                        id = view.string(token)
                        claims.append(Claim(key: id!, line: row.line, id: id, column: "id"))
                    }
                    Self.uniqueClaims(
                        view, fields: Self.fieldsObject(view), validator: index, records: records, line: row.line,
                        id: id,
                        withDefaults: true, into: &claims)
                    for claim in claims {
                        if let earlier = firstClaims[claim.key] {
                            problems.append(claim.problem(firstRow: earlier, records))
                        } else {
                            firstClaims[claim.key] = claim.line
                            if claim.unique != nil, let held, held(claim.key), let problem = claim.heldProblem(records)
                            {
                                problems.append(problem)
                            }
                        }
                    }
                    if problems.isEmpty { rows?(row.line, buffer, index, id) }
                }
            }
            if !problems.isEmpty {
                let named = problems.map {
                    RecordProblem(column: columns.columnName[$0.column] ?? $0.column, message: $0.message)
                }
                report.rejected.append(RejectedRow(line: row.line, id: id, problems: named))
            }
        }
        progress?(bytes.count)
        return report
    }
}

/// A counter shared by the workers of one check, for the progress bar.
final class ProgressCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func add(_ n: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += n
        return value
    }
}
