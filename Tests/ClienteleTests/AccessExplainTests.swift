import Foundation
import Testing
@testable import Clientele

/// Explain and who-can on the sales example.
@Suite("Explaining decisions and who can act")
struct AccessExplainTests {
    struct Setup {
        let policy: AccessPolicy
        let customers: CustomerTable
        func user(_ id: String) -> Int { policy.org.user(id)! }
    }

    func setup() throws -> Setup {
        let (config, rendered, _) = compileFixture(TestPaths.examples.appendingPathComponent("sales"))
        let policy = try #require(config?.access, "\(rendered)")
        let customers = policy.makeCustomerTable()
        var c1 = CustomerTable.Record(id: "c1")
        c1.team = "sales"; c1.accountExecutive = "erin"; c1.fields["level"] = .string("B")
        customers.add(c1)
        var v1 = CustomerTable.Record(id: "v1")
        v1.team = "sales"; v1.accountExecutive = "bob"; v1.fields["level"] = .string("VIP")
        customers.add(v1)
        return Setup(policy: policy, customers: customers)
    }

    @Test("an allow names the deciding rule and where it is written")
    func allow() throws {
        let s = try setup()
        let e = s.policy.explain(user: s.user("erin"), action: .edit, customer: 0, in: s.customers)
        #expect(e.decision.allowed)
        #expect(e.decision.ruleId == "default.owner")
        #expect(e.location?.file == "<built-in>/rules/default-rules.yaml")
        #expect(e.reasons == ["allowed by rule 'default.owner' (<built-in>/rules/default-rules.yaml:15:5)"])
    }

    @Test("a deny names the denying rule, even against an allow")
    func deny() throws {
        let s = try setup()
        let e = s.policy.explain(user: s.user("bob"), action: .view, customer: 1, in: s.customers)
        #expect(!e.decision.allowed)
        #expect(e.decision.reason == .deniedBy("vip"))
        #expect(e.location?.file.hasSuffix("access.yaml") == true)
    }

    @Test("a denial without a denying rule lists what the closest rules need")
    func closest() throws {
        let s = try setup()
        let e = s.policy.explain(user: s.user("dora"), action: .edit, customer: 0, in: s.customers)
        #expect(!e.decision.allowed)
        #expect(e.reasons.first == "no rule allows edit")
        #expect(e.reasons.contains { $0.contains("default.owner") && $0.contains("to be the account executive") })
    }

    @Test("who-can lists exactly the users a decision allows")
    func whoCan() throws {
        let s = try setup()
        let users = s.policy.whoCan(.view, customer: 0, in: s.customers).map { s.policy.org.userIds[$0.user] }
        #expect(Set(users) == ["carol", "erin", "frank"], "the admin, the owner and the owner's manager")
        for u in 0..<s.policy.org.userIds.count {
            let allowed = s.policy.decide(user: u, action: .view, customer: 0, in: s.customers).allowed
            #expect(allowed == users.contains(s.policy.org.userIds[u]))
        }
    }
}
