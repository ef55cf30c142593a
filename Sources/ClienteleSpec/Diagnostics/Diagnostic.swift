import ClienteleCore

/// One problem found in a configuration or an input file.
package struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    package enum Severity: String, Sendable, Equatable {
        case error, warning, note
    }

    /// A further place that explains the diagnostic ("first defined here").
    package struct Note: Sendable, Equatable {
        package var message: String
        package var location: SourceLocation?

        package init(_ message: String, at location: SourceLocation? = nil) {
            self.message = message
            self.location = location
        }
    }

    package var severity: Severity
    package var message: String
    package var location: SourceLocation?
    package var notes: [Note]

    package init(_ severity: Severity = .error, _ message: String, at location: SourceLocation?, notes: [Note] = []) {
        self.severity = severity
        self.message = message
        self.location = location
        self.notes = notes
    }

    package static func error(_ message: String, at location: SourceLocation?, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.error, message, at: location, notes: notes)
    }

    /// `file:line:column: error: message`, the one-line form.
    package var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return "\(prefix)\(severity.rawValue): \(message)"
    }
}

extension Array where Element == Diagnostic {
    package var hasErrors: Bool { contains { $0.severity == .error } }

    /// Sorted by file, line and column, unlocated ones first; stable otherwise.
    package func sortedByLocation() -> [Diagnostic] {
        enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case (let l?, let r?): return l == r ? a.offset < b.offset : l < r
            case (nil, _?): return true
            case (_?, nil): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
    }
}

/// Collects diagnostics during one stage so that all are reported at once.
package final class DiagnosticCollector {
    package private(set) var diagnostics: [Diagnostic] = []

    package init() {}

    package func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.error(message, at: location, notes: notes))
    }

    package func warning(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
        diagnostics.append(Diagnostic(.warning, message, at: location, notes: notes))
    }

    package func append(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }
    package func append(contentsOf more: [Diagnostic]) { diagnostics.append(contentsOf: more) }

    package var hasErrors: Bool { diagnostics.hasErrors }
}
