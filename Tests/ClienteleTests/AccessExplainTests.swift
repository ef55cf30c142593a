import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

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
        c1.team = "sales"
        c1.accountExecutive = "erin"
        c1.fields["level"] = .string("B")
        customers.add(c1)
        var v1 = CustomerTable.Record(id: "v1")
        v1.team = "sales"
        v1.accountExecutive = "bob"
        v1.fields["level"] = .string("VIP")
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

/// Field rules at run time, on the call-centre example.
@Suite("Field rules")
struct FieldRuleTests {
    func setup() throws -> (AccessPolicy, CustomerTable) {
        let (config, rendered, _) = compileFixture(TestPaths.examples.appendingPathComponent("call-centre"))
        let policy = try #require(config?.access, "\(rendered)")
        let customers = policy.makeCustomerTable()
        var campaign = CustomerTable.Record(id: "c1")
        campaign.team = "service"
        campaign.package = "spring-2026"
        campaign.accountExecutive = "ann"
        customers.add(campaign)
        var pooled = CustomerTable.Record(id: "c2")
        pooled.team = "service"
        pooled.pool = "service-pool"
        customers.add(pooled)
        var plain = CustomerTable.Record(id: "c3")
        plain.team = "service"
        plain.accountExecutive = "ann"
        customers.add(plain)
        return (policy, customers)
    }

    @Test("an agent writes only the agent fields of a campaign package; others stay read-only")
    func agentWrites() throws {
        let (policy, customers) = try setup()
        let access = policy.fieldAccess(user: policy.org.user("ann")!, customer: 0, in: customers)
        #expect(access.writable == ["callResult", "callBackAt", "notes", "interests"])
        #expect(access.canWrite("callResult") && !access.canWrite("name"))
        #expect(access.canRead("name"), "no rule restricts reading")
        let admin = policy.fieldAccess(user: policy.org.user("grace")!, customer: 0, in: customers)
        #expect(admin == .unrestricted)
    }

    @Test("masks depend on the record's state: phones are masked while the customer sits in a pool")
    func masksInPool() throws {
        let (policy, customers) = try setup()
        let ann = policy.org.user("ann")!
        let pooled = policy.fieldAccess(user: ann, customer: 1, in: customers)
        #expect(pooled.masks == ["phone1": .last4, "phone2": .last4])
        #expect(pooled.shown("phone1", "13800138000") == "*******8000")
        #expect(!pooled.canWrite("phone1"), "a masked field is read-only")
        #expect(policy.fieldAccess(user: ann, customer: 2, in: customers).masks.isEmpty, "not in a pool")
    }

    @Test(
        "masks",
        arguments: [
            (FieldRule.Mask.all, "secret", "****"), (.last4, "13800138000", "*******8000"), (.last4, "123", "***"),
            (.first4, "ABCDEFG", "ABCD***"), (.first4, "AB", "**"), (.email, "li.wang@example.com", "l***@example.com"),
            (.email, "nobody", "****"),
        ])
    func masks(mask: FieldRule.Mask, value: String, shown: String) {
        #expect(FieldAccess.apply(mask, to: value) == shown)
    }
}
