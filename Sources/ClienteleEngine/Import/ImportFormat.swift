import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// The file formats `import` reads.
package enum ImportFormat: String, Sendable, CaseIterable {
    case csv
    case jsonLines = "jsonl"

    /// By extension: `.csv`, `.jsonl` / `.ndjson` / `.json`; nil when unknown.
    package static func detect(path: String) -> ImportFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") { return .jsonLines }
        return nil
    }
}

/// A refused row: its line in the file, its id when it gave one, and every problem.
package struct RejectedRow: Sendable, Equatable {
    package var line: Int
    package var id: String?
    package var problems: [RecordProblem]

    package init(line: Int, id: String?, problems: [RecordProblem]) {
        self.line = line
        self.id = id
        self.problems = problems
    }
}

/// What a dry run found.
package struct ImportReport: Sendable {
    package var rows = 0
    package var rejected: [RejectedRow] = []
    package var valid: Int { rows - rejected.count }

    package init(rows: Int = 0, rejected: [RejectedRow] = []) {
        self.rows = rows
        self.rejected = rejected
    }
}

/// A problem with the file as a whole (unreadable, a bad CSV header): nothing is imported.
package struct ImportFileError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var line: Int?
    package var column: Int?

    package init(_ message: String, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.line = line
        self.column = column
    }

    package var description: String {
        switch (line, column) {
        case (let l?, let c?): return "row \(l), column \(c): \(message)"
        case (let l?, nil): return "row \(l): \(message)"
        default: return message
        }
    }
}
