import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// The bench workload's requests, decided by Clientele and by the reference
/// (`../shared/bench/reference.py`, written into clientele-expected.jsonl).
@Suite(
    "Access decisions agree with the reference",
    .enabled(if: BenchWorkload.available, "needs ../shared/bench and python3"))
struct AccessDifferentialTests {
    struct Loaded {
        let config: CompiledConfig
        let customers: CustomerTable
    }

    static func load(_ data: URL) throws -> Loaded {
        let (config, rendered, _) = compileFixture(data.appendingPathComponent("clientele"))
        let compiled = try #require(config, "\(rendered)")
        let customers = compiled.access.makeCustomerTable()
        let mapped = try MappedFile(path: data.appendingPathComponent("clientele-customers.jsonl").path)
        customers.addJSONLines(mapped.bytes)
        return Loaded(config: compiled, customers: customers)
    }

    @Test("every request of the workload is decided as the reference decides it")
    func requestsMatch() throws {
        let data = try #require(BenchWorkload.data)
        let loaded = try Self.load(data)
        let text = try String(contentsOf: data.appendingPathComponent("clientele-expected.jsonl"), encoding: .utf8)
        var checked = 0
        var wrong: [String] = []
        for line in text.split(separator: "\n") {
            let r = try JSONValue.parse(String(line))
            let user = try #require(loaded.config.access.org.user(r["user"]!.stringValue!))
            let customer = try #require(loaded.customers.index(of: r["customer"]!.stringValue!))
            let action = try #require(Action(rawValue: r["action"]!.stringValue!))
            let expected = r["allowed"] == .bool(true)
            let decision = loaded.config.access.decide(
                user: user, action: action, customer: customer, in: loaded.customers)
            if decision.allowed != expected { wrong.append(String(line)) }
            checked += 1
        }
        #expect(checked == 1000)
        #expect(wrong.isEmpty, "\(wrong.count) disagree, for example \(wrong.prefix(3))")
    }

    @Test("visible equals a decision on every customer, for 200 users and every action")
    func visibleIsExact() throws {
        let data = try #require(BenchWorkload.data)
        let loaded = try Self.load(data)
        let policy = loaded.config.access
        let index = CustomerIndex(loaded.customers)
        let users = stride(from: 0, to: policy.org.userIds.count, by: 10).map { $0 }
        #expect(users.count >= 100)
        var nonEmpty = 0
        for user in users {
            for action in [Action.view, .edit, .delete, .returnToPool] {
                let fast = policy.visible(user: user, action: action, in: loaded.customers, index: index)
                let slow = (0..<loaded.customers.count).filter {
                    policy.isAllowed(user: user, action: action, customer: $0, in: loaded.customers)
                }
                #expect(fast == slow, "user \(policy.org.userIds[user]) \(action.rawValue)")
                if !fast.isEmpty { nonEmpty += 1 }
            }
        }
        #expect(nonEmpty > 100, "the check is not vacuous")
    }
}
