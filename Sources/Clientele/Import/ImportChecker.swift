#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Validates every row of a CSV or JSON Lines file against a compiled config,
/// as `import --dry-run` does: nothing is stored, every refusal is reported
/// with its line and column.
public struct ImportChecker: Sendable {
    public let records: RecordValidator
    public let defaults: RecordValidator.Defaults

    public init(records: RecordValidator, defaults: RecordValidator.Defaults) {
        self.records = records
        self.defaults = defaults
    }

    /// Checks the whole of `bytes`; `progress` is called now and then with the bytes done.
    public func check(_ bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat,
                      progress: ((Int) -> Void)? = nil) throws(ImportFileError) -> ImportReport {
        switch format {
        case .jsonLines: return checkJSONLines(bytes, progress: progress)
        case .csv: return try checkCSV(bytes, progress: progress)
        }
    }

    /// Tracks ids and unique values across the file.
    private struct Uniqueness {
        var ids: [String: Int] = [:]
        var values: [String: Int] = [:]

        mutating func claimId(_ id: String, line: Int) -> RecordProblem? {
            if let first = ids[id] { return RecordProblem(column: "id", message: "id '\(id)' is already used on row \(first)") }
            ids[id] = line
            return nil
        }

        mutating func claim(_ view: JSONView, fields object: Int, validator: CustomerValidator, line: Int, problems: inout [RecordProblem]) {
            for field in validator.fields where field.unique {
                var j = object + 1
                while j < view.next(object) {
                    if view.kind(j + 1) == .string, view.string(j) == field.identity {
                        let value = Normalizer.normalize(view.string(j + 1), field.spec.normalize)
                        let key = validator.place + "\u{0}" + field.identity + "\u{0}" + value
                        if let first = values[key] {
                            problems.append(RecordProblem(column: field.identity, message: "\(field.label) must be unique in \(validator.place), but \(Shown.text(value)) is already used on row \(first)"))
                        } else {
                            values[key] = line
                        }
                    }
                    j = view.next(j + 1)
                }
            }
        }
    }

    private func checkJSONLines(_ bytes: UnsafeBufferPointer<UInt8>, progress: ((Int) -> Void)?) -> ImportReport {
        var report = ImportReport()
        var tape = JSONTape()
        var scratch = [Int32](repeating: -1, count: records.maximumSlotCount)
        var problems: [RecordProblem] = []
        var unique = Uniqueness()
        unique.ids.reserveCapacity(bytes.count / 256)
        let hasUnique = records.validators.contains { $0.fields.contains(where: \.unique) }
        var lineNumber = 0
        var start = 0
        let base = bytes.baseAddress
        while start < bytes.count {
            lineNumber += 1
            var end = bytes.count
            if let found = memchr(base! + start, 0x0A, bytes.count - start) {
                end = base!.distance(to: found.assumingMemoryBound(to: UInt8.self))
            }
            defer { start = end + 1 }
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<lineEnd])
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            report.rows += 1
            if report.rows % 65_536 == 0 { progress?(start) }
            do {
                try tape.parse(line)
            } catch {
                let column = String(decoding: UnsafeBufferPointer(rebasing: line[..<min(error.offset, line.count)]), as: UTF8.self).unicodeScalars.count + 1
                report.rejected.append(RejectedRow(line: lineNumber, id: nil, problems: [RecordProblem(column: "\(column)", message: "invalid JSON: \(error.message)")]))
                continue
            }
            problems.removeAll(keepingCapacity: true)
            tape.withView(bytes: line) { view in
                let outcome = records.validate(view, defaults: defaults, scratch: &scratch, problems: &problems)
                var id: String?
                if let token = outcome.idToken {
                    id = view.string(token)
                    if let p = unique.claimId(id!, line: lineNumber) { problems.append(p) }
                }
                if hasUnique, let v = outcome.validator, let fields = Self.fieldsObject(view) {
                    unique.claim(view, fields: fields, validator: records.validators[v], line: lineNumber, problems: &problems)
                }
                if !problems.isEmpty {
                    report.rejected.append(RejectedRow(line: lineNumber, id: id, problems: problems))
                }
            }
        }
        progress?(bytes.count)
        return report
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

    private func checkCSV(_ bytes: UnsafeBufferPointer<UInt8>, progress: ((Int) -> Void)?) throws(ImportFileError) -> ImportReport {
        var reader = CSVReader(bytes)
        var headerRecord: CSVReader.Record?
        do { headerRecord = try reader.next() } catch { throw ImportFileError(error.message, line: error.line, column: error.column) }
        guard let headerRecord else { throw ImportFileError("the file is empty; a CSV import starts with a header row") }
        guard let team = defaults.team ?? defaults.package.flatMap({ p in records.packageList.first { $0.id == p }?.team }) else {
            throw ImportFileError("a CSV file does not say which team its customers belong to; give --team (the teams are \(records.teamIds.joined(separator: ", ")))")
        }
        guard let table = defaults.table ?? defaults.package.flatMap({ p in records.packageList.first { $0.id == p }?.table }) else {
            throw ImportFileError("a CSV file does not say which table it fills; give --table")
        }
        guard let index = records.validatorIndex(team: team, table: table, package: defaults.package) else {
            throw ImportFileError("package '\(defaults.package ?? "")' is not a package of team '\(team)', table '\(table.rawValue)'")
        }
        let validator = records.validators[index]
        let columns = try CSVColumns(header: headerRecord.cells, validator: validator, line: headerRecord.line)
        let rowDefaults = RecordValidator.Defaults(team: team, table: table, package: defaults.package)

        var report = ImportReport()
        var tape = JSONTape()
        var scratch = [Int32](repeating: -1, count: records.maximumSlotCount)
        var problems: [RecordProblem] = []
        var unique = Uniqueness()
        while true {
            let row: CSVReader.Record?
            do { row = try reader.next() } catch {
                throw ImportFileError(error.message, line: error.line, column: error.column)
            }
            guard let row else { break }
            report.rows += 1
            if report.rows % 65_536 == 0 { progress?(0) }
            if row.cells.count > columns.targets.count {
                report.rejected.append(RejectedRow(line: row.line, id: nil, problems: [RecordProblem(
                    column: "\(columns.targets.count + 1)", message: "the row has \(row.cells.count) cells but the header has \(columns.targets.count) columns")]))
                continue
            }
            let text = Array(columns.record(row.cells, defaults: rowDefaults).jsonText.utf8)
            problems.removeAll(keepingCapacity: true)
            var id: String?
            text.withUnsafeBufferPointer { buffer in
                guard (try? tape.parse(buffer)) != nil else { return }
                tape.withView(bytes: buffer) { view in
                let outcome = records.validate(view, defaults: rowDefaults, scratch: &scratch, problems: &problems)
                if let token = outcome.idToken {
                    id = view.string(token)
                    if let p = unique.claimId(id!, line: row.line) { problems.append(p) }
                }
                if let fields = Self.fieldsObject(view) {
                    unique.claim(view, fields: fields, validator: validator, line: row.line, problems: &problems)
                }
                }
            }
            if !problems.isEmpty {
                let named = problems.map { RecordProblem(column: columns.columnName[$0.column] ?? $0.column, message: $0.message) }
                report.rejected.append(RejectedRow(line: row.line, id: id, problems: named))
            }
        }
        progress?(bytes.count)
        return report
    }
}
