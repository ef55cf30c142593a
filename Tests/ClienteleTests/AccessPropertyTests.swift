import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// For random organisations, customers and rules, the compiled decision equals a
/// straightforward interpreter of the same rules, and `visible` equals deciding
/// on every customer. The interpreter below is written from the spec, walking the
/// syntax tree with plain values; it shares nothing with the compiler but the parser.
@Suite("Compiled access decisions equal a plain interpreter")
struct AccessPropertyTests {
    typealias RNG = SplitMix

    struct World {
        var teams: [String] = []
        var departments: [(id: String, parent: String?)] = []
        var roles: [String] = []
        var users:
            [(id: String, teams: [String], department: String, roles: [String], manager: String?, active: Bool)] = []
        var groups:
            [(id: String, team: String?, roles: [String], users: [String], departments: [String]?, grants: [String])] =
                []
        var customers:
            [(
                id: String, team: String, ae: String?, csr: String?, sharedUsers: [String], sharedDepartments: [String],
                sharedRoles: [String], followers: [String], tags: [String], level: String?
            )] = []
        var rules: [(id: String, effect: String, actions: [String], when: String, unless: String?)] = []
    }

    static let actions = ["view", "edit", "delete", "share", "export"]
    static let tags = ["hot", "vip", "cold"]
    static let levels = ["A", "B", "C"]

    static func world(_ rng: inout RNG) -> World {
        var w = World()
        w.teams = (1...Int.random(in: 1...2, using: &rng)).map { "t\($0)" }
        for k in 1...Int.random(in: 3...8, using: &rng) {
            w.departments.append(
                ("d\(k)", k == 1 ? nil : (Bool.random(using: &rng) ? "d\(Int.random(in: 1..<k, using: &rng))" : nil)))
        }
        w.roles = (1...Int.random(in: 2...5, using: &rng)).map { "r\($0)" }
        for k in 1...Int.random(in: 4...14, using: &rng) {
            w.users.append(
                (
                    "u\(k)", w.teams.filter { _ in Bool.random(using: &rng) },
                    w.departments.randomElement(using: &rng)!.id,
                    w.roles.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 },
                    k == 1 || Int.random(in: 0..<5, using: &rng) == 0 ? nil : "u\(Int.random(in: 1..<k, using: &rng))",
                    Int.random(in: 0..<8, using: &rng) != 0
                ))
        }
        for k in 0..<Int.random(in: 0...3, using: &rng) {
            w.groups.append(
                (
                    "g\(k)", Bool.random(using: &rng) ? w.teams.randomElement(using: &rng) : nil,
                    w.roles.filter { _ in Bool.random(using: &rng) },
                    w.users.filter { _ in Int.random(in: 0..<5, using: &rng) == 0 }.map(\.id),
                    Bool.random(using: &rng) ? w.departments.filter { _ in Bool.random(using: &rng) }.map(\.id) : nil,
                    actions.filter { _ in Bool.random(using: &rng) }
                ))
        }
        for k in 1...Int.random(in: 10...40, using: &rng) {
            func someone() -> String? {
                Int.random(in: 0..<4, using: &rng) == 0 ? nil : w.users.randomElement(using: &rng)!.id
            }
            w.customers.append(
                (
                    "c\(k)", w.teams.randomElement(using: &rng)!, someone(), someone(),
                    w.users.filter { _ in Int.random(in: 0..<6, using: &rng) == 0 }.map(\.id),
                    w.departments.filter { _ in Int.random(in: 0..<6, using: &rng) == 0 }.map(\.id),
                    w.roles.filter { _ in Int.random(in: 0..<5, using: &rng) == 0 },
                    w.users.filter { _ in Int.random(in: 0..<6, using: &rng) == 0 }.map(\.id),
                    tags.filter { _ in Bool.random(using: &rng) },
                    Bool.random(using: &rng) ? levels.randomElement(using: &rng) : nil
                ))
        }
        for k in 0..<Int.random(in: 1...6, using: &rng) {
            let kind = Int.random(in: 0..<5, using: &rng)
            let effect = kind == 0 ? "deny" : (kind == 1 && !w.groups.isEmpty ? "granted" : "allow")
            w.rules.append(
                (
                    "rule\(k)", effect, ["view"] + actions.dropFirst().filter { _ in Bool.random(using: &rng) },
                    effect == "granted" && Bool.random(using: &rng)
                        ? "permission_group" : expression(w, &rng, depth: 0),
                    Int.random(in: 0..<4, using: &rng) == 0 ? expression(w, &rng, depth: 1) : nil
                ))
        }
        return w
    }

    static func expression(_ w: World, _ rng: inout RNG, depth: Int) -> String {
        if depth < 2 && Int.random(in: 0..<3, using: &rng) == 0 {
            let l = expression(w, &rng, depth: depth + 1)
            let r = expression(w, &rng, depth: depth + 1)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: return "(\(l) and \(r))"
            case 1: return "(\(l) or \(r))"
            default: return "not (\(l))"
            }
        }
        let atoms: [String] = [
            "account_executive", "customer_service_rep", "shared", "follower", "permission_group",
            "in_permission_group", "in_editing_permission_group",
            "\"\(w.roles.randomElement(using: &rng)!)\" in user.roles", "customer.team in user.teams",
            "\"\(w.teams.randomElement(using: &rng)!)\" in user.teams",
            "manages(customer.account_executive)", "manages(customer.account_executive, depth: 2)",
            "manages(customer.account_executive, depth: all)",
            "in_department(\"\(w.departments.randomElement(using: &rng)!.id)\")",
            "customer.level == \"\(levels.randomElement(using: &rng)!)\"",
            "has(customer.level)", "\"\(tags.randomElement(using: &rng)!)\" in customer.tags",
            "customer.account_executive == user.id",
            "customer.customer_service_rep != null",
            "user.department == \"\(w.departments.randomElement(using: &rng)!.id)\"",
            "true", "false",
            // About the time alone: true at any time a test runs, false in 1970.
            "now >= \"2000-01-01T00:00:00Z\"", "now < \"2000-01-01T00:00:00Z\"",
        ]
        return atoms.randomElement(using: &rng)!
    }

    /// The world's customers in a table for `policy`.
    static func table(_ w: World, _ policy: AccessPolicy) -> CustomerTable {
        let customers = policy.makeCustomerTable()
        for cu in w.customers {
            var r = CustomerTable.Record(id: cu.id)
            r.team = cu.team
            r.accountExecutive = cu.ae
            r.serviceRep = cu.csr
            r.sharedUsers = cu.sharedUsers
            r.sharedDepartments = cu.sharedDepartments
            r.sharedRoles = cu.sharedRoles
            r.followers = cu.followers
            r.tags = cu.tags
            if let level = cu.level { r.fields["level"] = .string(level) }
            customers.add(r)
        }
        return customers
    }

    static func yaml(_ w: World) -> [(path: String, text: String)] {
        func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        var t = "teams:\n" + w.teams.map { "  - { id: \($0) }\n" }.joined()
        t +=
            "departments:\n"
            + w.departments.map { "  - { id: \($0.id)\($0.parent.map { ", parent: \($0)" } ?? "") }\n" }.joined()
        t += "roles:\n" + w.roles.map { "  - { id: \($0) }\n" }.joined()
        t +=
            "users:\n"
            + w.users.map { u in
                "  - { id: \(u.id), teams: \(list(u.teams)), department: \(u.department), roles: \(list(u.roles))\(u.manager.map { ", manager: \($0)" } ?? ""), active: \(u.active) }\n"
            }.joined()
        t +=
            "fields:\n"
            + w.teams.map {
                "  - { identity: level, team: \($0), table: individual, type: select, options: [A, B, C] }\n"
            }.joined()
        if !w.groups.isEmpty {
            t +=
                "permission_groups:\n"
                + w.groups.map { g in
                    "  - { id: \(g.id)\(g.team.map { ", team: \($0)" } ?? ""), roles: \(list(g.roles)), users: \(list(g.users))"
                        + (g.departments.map { ", customers: { departments: \(list($0)) }" } ?? "")
                        + ", grants: \(list(g.grants)) }\n"
                }.joined()
        }
        t +=
            "rules:\n"
            + w.rules.map { r in
                let effect = r.effect == "granted" ? "allow: granted" : "\(r.effect): \(list(r.actions))"
                return "  - id: \(r.id)\n    \(effect)\n    when: \(q(r.when))\n"
                    + (r.unless.map { "    unless: \(q($0))\n" } ?? "")
            }.joined()
        return [("clientele.yaml", "version: 1\n"), ("world.yaml", t)]
    }

    // MARK: - The interpreter

    indirect enum V: Equatable {
        case bool(Bool)
        case text(String)
        case list([V])
        case null
    }

    struct Interpreter {
        let w: World

        func user(_ id: String) -> (
            id: String, teams: [String], department: String, roles: [String], manager: String?, active: Bool
        )? { w.users.first { $0.id == id } }
        func ancestors(_ d: String) -> [String] {
            var out: [String] = []
            var cur: String? = d
            while let c = cur, !out.contains(c) {
                out.append(c)
                cur = w.departments.first { $0.id == c }?.parent ?? nil
            }
            return out
        }
        func chain(_ u: String) -> [String] {
            var out: [String] = []
            var cur = user(u)?.manager
            while let c = cur, !out.contains(c), c != u {
                out.append(c)
                cur = user(c)?.manager
            }
            return out
        }
        func isMember(
            _ g: (
                id: String, team: String?, roles: [String], users: [String], departments: [String]?, grants: [String]
            ), _ u: String
        ) -> Bool {
            g.users.contains(u) || !Set(g.roles).isDisjoint(with: user(u)!.roles)
        }
        func covers(
            _ g: (
                id: String, team: String?, roles: [String], users: [String], departments: [String]?, grants: [String]
            ), _ c: Int
        ) -> Bool {
            let cu = w.customers[c]
            if let team = g.team, team != cu.team { return false }
            if let ds = g.departments {
                guard let ae = cu.ae, let dept = user(ae)?.department else { return false }
                return !Set(ancestors(dept)).isDisjoint(with: ds)
            }
            return true
        }

        func eval(_ s: Syntax, _ u: String, _ c: Int) -> V {
            let cu = w.customers[c]
            let me = user(u)!
            switch s {
            case .literal(.string(let x), _): return .text(x)
            case .literal(.bool(let b), _): return .bool(b)
            case .literal(.null, _): return .null
            case .literal: return .null
            case .list(let items, _): return .list(items.map { eval($0, u, c) })
            case .not(let inner, _): return .bool(eval(inner, u, c) != .bool(true))
            case .binary(.and, let l, let r, _):
                return .bool(eval(l, u, c) == .bool(true) && eval(r, u, c) == .bool(true))
            case .binary(.or, let l, let r, _):
                return .bool(eval(l, u, c) == .bool(true) || eval(r, u, c) == .bool(true))
            case .binary(.equal, let l, let r, _): return .bool(eval(l, u, c) == eval(r, u, c))
            case .binary(.notEqual, let l, let r, _): return .bool(eval(l, u, c) != eval(r, u, c))
            case .binary(.greaterOrEqual, .path(["now"], _), _, _): return .bool(true)
            case .binary(.less, .path(["now"], _), _, _): return .bool(false)
            case .binary(.in, let l, let r, _):
                guard case .list(let items) = eval(r, u, c) else { return .bool(false) }
                return .bool(items.contains(eval(l, u, c)))
            case .path(let p, _):
                switch p {
                case ["account_executive"]: return .bool(cu.ae == u)
                case ["customer_service_rep"]: return .bool(cu.csr == u)
                case ["follower"]: return .bool(cu.followers.contains(u))
                case ["shared"]:
                    return .bool(
                        cu.sharedUsers.contains(u)
                            || !Set(ancestors(me.department)).isDisjoint(with: cu.sharedDepartments)
                            || !Set(me.roles).isDisjoint(with: cu.sharedRoles))
                case ["permission_group"]: return .bool(w.groups.contains { isMember($0, u) && covers($0, c) })
                case ["in_permission_group"]:
                    return .bool(w.groups.contains { isMember($0, u) && ($0.team == nil || $0.team == cu.team) })
                case ["in_editing_permission_group"]:
                    return .bool(
                        w.groups.contains {
                            $0.grants.contains("edit") && isMember($0, u) && ($0.team == nil || $0.team == cu.team)
                        })
                case ["user", "roles"]: return .list(me.roles.map { .text($0) })
                case ["user", "teams"]: return .list(me.teams.map { .text($0) })
                case ["user", "id"]: return .text(u)
                case ["user", "department"]: return .text(me.department)
                case ["customer", "team"]: return .text(cu.team)
                case ["customer", "tags"]: return .list(cu.tags.map { .text($0) })
                case ["customer", "level"]: return cu.level.map { .text($0) } ?? .null
                case ["customer", "account_executive"]: return cu.ae.map { .text($0) } ?? .null
                case ["customer", "customer_service_rep"]: return cu.csr.map { .text($0) } ?? .null
                default:
                    Issue.record("interpreter: unknown path \(p)")
                    return .null
                }
            case .call("manages", let args, _):
                guard case .text(let subject) = eval(args[0].value, u, c) else { return .bool(false) }
                var depth: Int? = 1
                if let d = args.first(where: { $0.label == "depth" })?.value {
                    if case .literal(.number(let n), _) = d { depth = Int(n) } else { depth = nil }
                }
                return .bool(chain(subject).prefix(depth ?? Int.max).contains(u))
            case .call("in_department", let args, _):
                guard case .text(let d) = eval(args[0].value, u, c) else { return .bool(false) }
                return .bool(ancestors(me.department).contains(d))
            case .call("has", let args, _):
                switch eval(args[0].value, u, c) {
                case .null: return .bool(false)
                case .text(let s): return .bool(!s.isEmpty)
                case .list(let l): return .bool(!l.isEmpty)
                default: return .bool(true)
                }
            default:
                Issue.record("interpreter: unhandled \(s)")
                return .null
            }
        }

        func allowed(_ u: String, _ action: String, _ c: Int) -> Bool {
            guard user(u)!.active else { return false }
            func holds(_ r: (id: String, effect: String, actions: [String], when: String, unless: String?)) -> Bool {
                guard eval(try! ExpressionParser.parse(r.when), u, c) == .bool(true) else { return false }
                if let unless = r.unless, eval(try! ExpressionParser.parse(unless), u, c) == .bool(true) {
                    return false
                }
                return true
            }
            for r in w.rules where r.effect == "deny" && r.actions.contains(action) && holds(r) { return false }
            for r in w.rules where r.effect != "deny" && holds(r) {
                if r.effect == "allow", r.actions.contains(action) { return true }
                if r.effect == "granted",
                    w.groups.contains(where: { $0.grants.contains(action) && isMember($0, u) && covers($0, c) })
                {
                    return true
                }
            }
            return false
        }
    }

    @Test("random worlds: compiled decisions and visible lists equal the interpreter's", arguments: 0..<8)
    func randomWorlds(batch: Int) throws {
        var rng = RNG(state: 0xC11E_17E1 &+ UInt64(batch) &* 1_000_003)
        var decisions = 0
        var allowedCount = 0
        for _ in 0..<25 {
            let w = Self.world(&rng)
            let (config, diagnostics, _) = Pipeline.compile(ConfigLoader().load(sources: Self.yaml(w)))
            let compiled = try #require(config, "\(diagnostics.map(\.description))\n\(Self.yaml(w)[1].text)")
            let policy = compiled.access
            let customers = Self.table(w, policy)
            let index = CustomerIndex(customers)
            let interpreter = Interpreter(w: w)
            for (u, user) in w.users.enumerated() {
                for action in Self.actions {
                    var expectedVisible: [Int] = []
                    for c in 0..<w.customers.count {
                        let expected = interpreter.allowed(user.id, action, c)
                        let got = policy.decide(user: u, action: Action(rawValue: action)!, customer: c, in: customers)
                            .allowed
                        #expect(
                            got == expected, "user \(user.id) \(action) \(w.customers[c].id)\n\(Self.yaml(w)[1].text)")
                        if expected {
                            expectedVisible.append(c)
                            allowedCount += 1
                        }
                        decisions += 1
                    }
                    let visible = policy.visible(
                        user: u, action: Action(rawValue: action)!, in: customers, index: index)
                    #expect(visible == expectedVisible, "visible for \(user.id) \(action)\n\(Self.yaml(w)[1].text)")
                }
            }
        }
        #expect(
            allowedCount > decisions / 20 && allowedCount < decisions * 19 / 20, "neither all denied nor all allowed")
    }
}
