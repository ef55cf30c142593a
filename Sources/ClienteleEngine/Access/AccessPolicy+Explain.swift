import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Why a decision came out as it did, in words an auditor reads.
package struct Explanation: Sendable {
    package var decision: AccessPolicy.Decision
    /// The deciding rule's location, for an allow or an explicit deny.
    package var location: SourceLocation?
    /// For a denial without a denying rule: the rules that came closest and what each still needs.
    package var reasons: [String]
}

extension AccessPolicy {
    package func explain(
        user: Int, action: Action, customer: Int, in customers: CustomerTable, now: Double = Timestamp.processStart
    ) -> Explanation {
        let decision = decide(user: user, action: action, customer: customer, in: customers, now: now)
        let org = environment.org
        switch decision.reason {
        case .allowedBy(let id), .deniedBy(let id):
            let rule = self.rule(id)
            let verb = decision.allowed ? "allowed" : "denied"
            return Explanation(
                decision: decision, location: rule?.location,
                reasons: ["\(verb) by rule '\(id)'\(rule.map { " (\($0.location))" } ?? "")"])
        case .inactiveUser:
            return Explanation(
                decision: decision, location: nil,
                reasons: ["user '\(org.userIds[user])' is inactive, and inactive users are denied everything"])
        case .noRuleAllows:
            let ctx = AccessContext(user: user, customer: customer, customers: customers, now: now)
            var candidates: [(missing: Int, text: String)] = []
            for k in allowRules[action.ordinal] {
                let r = rules[k]
                let failing = r.parts.filter { !$0.condition(ctx) }.map { Self.describe($0.syntax, org: org) }
                var needs = failing
                if let unless = r.unless, unless(ctx), r.parts.allSatisfy({ $0.condition(ctx) }) {
                    needs = ["not \(r.rule.unless.map { "'\($0.text)'" } ?? "its 'unless'")"]
                }
                if r.granted, failing.isEmpty, needs.isEmpty {
                    needs = ["a permission group covering this customer that grants \(action.rawValue)"]
                }
                guard !needs.isEmpty else { continue }
                candidates.append(
                    (needs.count, "rule '\(r.rule.id)' (\(r.rule.location)) needs \(needs.joined(separator: ", and "))")
                )
            }
            let closest = candidates.sorted { $0.missing < $1.missing }.prefix(3).map(\.text)
            let lead = "no rule allows \(action.rawValue)"
            return Explanation(
                decision: decision, location: nil,
                reasons: closest.isEmpty ? [lead + "; no rule mentions this action"] : [lead] + closest)
        }
    }

    /// A condition in plain words: "to be the account executive".
    static func describe(_ s: Syntax, org: OrgIndex) -> String {
        switch s {
        case .path(["account_executive"], _): return "to be the account executive"
        case .path(["customer_service_rep"], _): return "to be the customer service representative"
        case .path(["shared"], _): return "a share with the user, their department or one of their roles"
        case .path(["follower"], _): return "to follow the customer"
        case .path(["permission_group"], _): return "a permission group that covers this customer"
        case .path(["in_permission_group"], _): return "to belong to a permission group of the customer's team"
        case .path(["in_editing_permission_group"], _):
            return "to belong to a permission group of the customer's team that grants edit"
        case .path(["pool_admin"], _): return "to be a pool admin"
        case .path(["pool_member"], _): return "to be a pool member"
        case .path(["in_pool"], _): return "the customer to sit in a pool"
        case .call("manages", let args, _):
            let subject = args.first.map { text($0.value) } ?? "someone"
            return "to manage \(subject == "customer.account_executive" ? "the account executive" : subject)"
        case .binary(.in, .literal(.string(let r), _), .path(["user", "roles"], _), _): return "the role \(r)"
        case .binary(.or, let l, let r, _): return describe(l, org: org) + ", or " + describe(r, org: org)
        case .binary(.and, let l, let r, _): return describe(l, org: org) + " and " + describe(r, org: org)
        case .not(let inner, _): return "not " + describe(inner, org: org)
        default: return "'\(text(s))'"
        }
    }

    /// The expression written back as text.
    package static func text(_ s: Syntax) -> String {
        switch s {
        case .literal(let l, _):
            switch l {
            case .string(let v): return "\"\(v)\""
            case .number(let n): return n == n.rounded() ? String(Int(n)) : String(n)
            case .duration(_, let t): return t
            case .bool(let b): return b ? "true" : "false"
            case .null: return "null"
            }
        case .path(let p, _): return p.joined(separator: ".")
        case .call(let name, let args, _):
            return name + "(" + args.map { ($0.label.map { "\($0): " } ?? "") + text($0.value) }.joined(separator: ", ")
                + ")"
        case .list(let items, _): return "[" + items.map(text).joined(separator: ", ") + "]"
        case .not(let inner, _): return "not " + text(inner)
        case .binary(let op, let l, let r, _): return text(l) + " " + op.rawValue + " " + text(r)
        }
    }
}
