import Foundation
import Testing

/// Compares `actual` with a golden file. With CLIENTELE_RECORD_GOLDEN=1 in the
/// environment it writes the file instead and fails ("recorded a new baseline"), so
/// that a recording run never passes for a check: review the diff, then run again.
package func expectGolden(_ actual: String, file: URL, sourceLocation: SourceLocation = #_sourceLocation) {
    if ProcessInfo.processInfo.environment["CLIENTELE_RECORD_GOLDEN"] == "1" {
        do {
            try actual.write(to: file, atomically: true, encoding: .utf8)
            Issue.record(
                "recorded a new baseline in \(file.lastPathComponent); review the diff and run again without CLIENTELE_RECORD_GOLDEN",
                sourceLocation: sourceLocation)
        } catch {
            Issue.record("cannot write the golden file \(file.path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
        Issue.record(
            "missing golden file \(file.path); run the tests with CLIENTELE_RECORD_GOLDEN=1 to write it",
            sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "output differs from \(file.lastPathComponent)", sourceLocation: sourceLocation)
}
