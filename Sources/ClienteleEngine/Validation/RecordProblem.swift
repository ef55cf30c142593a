import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// One reason a record is refused: the column (a field identity or a system key) and what is wrong.
package struct RecordProblem: Sendable, Equatable, CustomStringConvertible {
    package var column: String
    package var message: String

    package init(column: String, message: String) {
        self.column = column
        self.message = message
    }

    package var description: String { column.isEmpty ? message : "column \(column): \(message)" }
}

/// Shows a value in a message: quoted text, cut when long.
package enum Shown {
    package static func text(_ s: String) -> String {
        let cut = s.count > 60 ? String(s.prefix(57)) + "..." : s
        var out = ""
        JSONValue.writeString(cut, to: &out)
        return out
    }

    static func value(_ view: JSONView, _ i: Int) -> String {
        switch view.kind(i) {
        case .string: return "text " + text(view.string(i))
        case .number: return "the number \(view.string(i))"
        case .true: return "true"
        case .false: return "false"
        case .null: return "null"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    static func list(_ items: [String], limit: Int = 12) -> String {
        let shown = items.prefix(limit).joined(separator: ", ")
        return items.count > limit ? shown + ", ... (\(items.count) in all)" : shown
    }
}
