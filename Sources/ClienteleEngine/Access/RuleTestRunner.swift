import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Runs the `tests:` of a config against the compiled rules, without a store.
package struct RuleTestRunner: Sendable {
    package let model: Model
    package let policy: AccessPolicy

    package init(model: Model, policy: AccessPolicy) {
        self.model = model
        self.policy = policy
    }

    package struct Report: Sendable {
        package var tests = 0
        package var checks = 0
        /// One diagnostic per failed expectation, located at the expectation.
        package var failures: [Diagnostic] = []
    }

    package func run() -> Report {
        var report = Report()
        for test in model.tests {
            report.tests += 1
            let customers = policy.makeCustomerTable()
            for c in test.customers { customers.add(record(c)) }
            for e in test.expectations {
                guard let user = policy.org.user(e.user), let customer = customers.index(of: e.customer) else {
                    continue
                }
                for (actions, expected) in [(e.can, true), (e.cannot, false)] {
                    for action in actions {
                        report.checks += 1
                        let explanation = policy.explain(user: user, action: action, customer: customer, in: customers)
                        guard explanation.decision.allowed != expected else { continue }
                        let verb = expected ? "can" : "cannot"
                        var notes: [Diagnostic.Note] = []
                        if let location = explanation.location {
                            notes.append(
                                .init("rule '\(explanation.decision.ruleId ?? "")' decides it here", at: location))
                        }
                        for reason in explanation.reasons.dropFirst() where explanation.location == nil {
                            notes.append(.init(reason))
                        }
                        let why = explanation.reasons.first ?? ""
                        report.failures.append(
                            .error(
                                "test '\(test.name)': expected \(e.user) \(verb) \(action.rawValue) \(e.customer), but \(why)",
                                at: e.location, notes: notes))
                    }
                }
            }
        }
        return report
    }

    /// A test customer (flat keys) as a record; team defaults to the only team,
    /// else the account executive's first team.
    func record(_ c: TestCustomerDecl) -> CustomerTable.Record {
        var r = CustomerTable.Record(id: c.id.value)
        func text(_ n: Node) -> String? { n.scalar.flatMap { $0.isNull ? nil : $0.text } }
        func texts(_ n: Node) -> [String] { n.sequence?.compactMap(text) ?? text(n).map { [$0] } ?? [] }
        for entry in c.values {
            let v = entry.value
            switch entry.key.value {
            case "team": r.team = text(v)
            case "table": r.table = text(v).flatMap(TableKind.init(rawValue:)) ?? .individual
            case "package": r.package = text(v)
            case "account_executive": r.accountExecutive = text(v)
            case "customer_service_rep": r.serviceRep = text(v)
            case "pool": r.pool = text(v)
            case "previous_account_executive": r.previousAccountExecutive = text(v)
            case "followers": r.followers = texts(v)
            case "tags": r.tags = texts(v)
            case "created_by": break
            case "shared":
                for s in v.mapping ?? [] {
                    switch s.key.value {
                    case "users": r.sharedUsers = texts(s.value)
                    case "departments": r.sharedDepartments = texts(s.value)
                    case "roles": r.sharedRoles = texts(s.value)
                    default: break
                    }
                }
            case let key where CustomerTable.timeKeys.contains(key):
                if let t = text(v).flatMap(Timestamp.parse) { r.times[key] = t }
            case let identity:
                if let items = v.sequence {
                    r.fields[identity] = .strings(items.compactMap(text))
                } else if let s = v.scalar, !s.isNull {
                    if !s.isString, s.text == "true" || s.text == "false" {
                        r.fields[identity] = .bool(s.text == "true")
                    } else if !s.isString, let n = Double(s.text) {
                        r.fields[identity] = .number(n)
                    } else {
                        r.fields[identity] = .string(s.text)
                    }
                }
            }
        }
        if r.team == nil {
            if model.organization.teams.count == 1 {
                r.team = model.organization.teams[0].id
            } else if let ae = r.accountExecutive, let user = model.organization.user(ae) {
                r.team = user.teams.first
            }
        }
        return r
    }
}
