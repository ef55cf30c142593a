import ClienteleCore
import ClienteleSpec
import ClienteleModel
/// The file formats `import` reads.
public enum ImportFormat: String, Sendable, CaseIterable {
    case csv
    case jsonLines = "jsonl"

    /// By extension: `.csv`, `.jsonl` / `.ndjson` / `.json`; nil when unknown.
    public static func detect(path: String) -> ImportFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") { return .jsonLines }
        return nil
    }
}

/// A refused row: its line in the file, its id when it gave one, and every problem.
public struct RejectedRow: Sendable, Equatable {
    public var line: Int
    public var id: String?
    public var problems: [RecordProblem]

    public init(line: Int, id: String?, problems: [RecordProblem]) {
        self.line = line
        self.id = id
        self.problems = problems
    }
}

/// What a dry run found.
public struct ImportReport: Sendable {
    public var rows = 0
    public var rejected: [RejectedRow] = []
    public var valid: Int { rows - rejected.count }
}

/// A problem with the file as a whole (unreadable, a bad CSV header): nothing is imported.
public struct ImportFileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var line: Int?
    public var column: Int?

    public init(_ message: String, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        switch (line, column) {
        case let (l?, c?): return "row \(l), column \(c): \(message)"
        case let (l?, nil): return "row \(l): \(message)"
        default: return message
        }
    }
}
