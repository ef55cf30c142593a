import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

@Suite("The shared bench workload", .enabled(if: BenchWorkload.available, "needs ../shared/bench and python3"))
struct BenchWorkloadTests {
    @Test("the workload's config validates and the dry run refuses exactly the invalid ids")
    func dryRunMatchesReference() throws {
        let data = try #require(BenchWorkload.data)
        let (config, rendered, diagnostics) = compileFixture(data.appendingPathComponent("clientele"))
        let compiled = try #require(config, "\(rendered)")
        #expect(diagnostics.isEmpty)
        let mapped = try MappedFile(path: data.appendingPathComponent("clientele-customers.jsonl").path)
        let report = try ImportChecker(records: compiled.records, defaults: .init()).check(
            mapped.bytes, format: .jsonLines)
        let expected = try JSONValue.parse(
            String(contentsOf: data.appendingPathComponent("clientele-invalid.json"), encoding: .utf8))
        guard case .array(let ids)? = expected["ids"] else {
            Issue.record("clientele-invalid.json has no ids")
            return
        }
        let expectedIds = Set(ids.compactMap(\.stringValue))
        let refused = Set(report.rejected.compactMap(\.id))
        #expect(report.rows == 2000)
        #expect(report.rejected.count == refused.count, "every refused row has its id")
        #expect(
            refused.subtracting(expectedIds).isEmpty, "refused but valid: \(refused.subtracting(expectedIds).sorted())")
        #expect(
            expectedIds.subtracting(refused).isEmpty,
            "accepted but invalid: \(expectedIds.subtracting(refused).sorted())")
    }
}
