import ClienteleCore

/// The JSON shape of diagnostics: `{"diagnostics":[{"severity","message","file","line","column"}]}`.
package enum DiagnosticJSON {
    package static func document(_ diagnostics: [Diagnostic]) -> JSONValue {
        .object([("diagnostics", .array(diagnostics.map(value)))])
    }

    package static func value(_ d: Diagnostic) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("severity", .string(d.severity.rawValue)),
            ("message", .string(d.message)),
            ("file", d.location.map { .string($0.file) } ?? .null),
            ("line", d.location.map { .number(String($0.line)) } ?? .null),
            ("column", d.location.map { .number(String($0.column)) } ?? .null),
        ]
        if !d.notes.isEmpty {
            members.append(
                (
                    "notes",
                    .array(
                        d.notes.map { note in
                            .object([
                                ("message", .string(note.message)),
                                ("file", note.location.map { .string($0.file) } ?? .null),
                                ("line", note.location.map { .number(String($0.line)) } ?? .null),
                                ("column", note.location.map { .number(String($0.column)) } ?? .null),
                            ])
                        })
                ))
        }
        return .object(members)
    }
}
