import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Prints a dry run's findings: `row N, column NAME: message` per problem, then a summary.
package enum ImportReportRenderer {
    package static func text(_ report: ImportReport) -> String {
        var out = ""
        for row in report.rejected {
            for problem in row.problems {
                out +=
                    problem.column.isEmpty
                    ? "row \(row.line): \(problem.message)\n"
                    : "row \(row.line), column \(problem.column): \(problem.message)\n"
            }
        }
        out +=
            "\(report.rows) \(report.rows == 1 ? "row" : "rows"): \(report.valid) valid, \(report.rejected.count) refused\n"
        return out
    }

    package static func json(_ report: ImportReport) -> JSONValue {
        .object([
            ("rows", .number(String(report.rows))),
            ("valid", .number(String(report.valid))),
            (
                "refused",
                .array(
                    report.rejected.map { row in
                        .object([
                            ("row", .number(String(row.line))),
                            ("id", row.id.map(JSONValue.string) ?? .null),
                            (
                                "problems",
                                .array(
                                    row.problems.map {
                                        .object([("column", .string($0.column)), ("message", .string($0.message))])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }
}
