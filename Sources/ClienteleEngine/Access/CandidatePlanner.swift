import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Turns a rule's `when` into a `CandidatePlan`: which index lists hold every
/// customer the rule can allow. Conservative by construction: anything it does
/// not understand becomes `.all`.
struct CandidatePlanner {
    let compiler: ExpressionCompiler

    func plan(_ syntax: Syntax) -> CandidatePlan {
        if !Self.readsCustomer(syntax) {
            guard let condition = try? compiler.compile(syntax).condition else { return .all }
            return .gate(condition, .every)
        }
        switch syntax {
        case .path(["account_executive"], _): return .accountExecutive
        case .path(["customer_service_rep"], _): return .serviceRep
        case .path(["shared"], _): return .shared
        case .path(["follower"], _): return .follower
        case .path(["in_pool"], _): return .inPool
        case .path(["permission_group"], _): return .groups
        case .binary(.in, .path(["customer", "team"], _), .path(["user", "teams"], _), _),
            .binary(.contains, .path(["user", "teams"], _), .path(["customer", "team"], _), _):
            return .userTeams
        case .call("manages", let arguments, _):
            guard arguments.count <= 2,
                case .path(["customer", "account_executive"], _)? = arguments.first(where: { $0.label == nil })?.value
            else { return .all }
            switch arguments.first(where: { $0.label == "depth" })?.value {
            case nil: return .manages(depth: 1)
            case .path(["all"], _)?: return .manages(depth: nil)
            case .literal(.number(let n), _)?: return .manages(depth: Int(n))
            default: return .all
            }
        case .binary(.and, let l, let r, _):
            if !Self.readsCustomer(l), let gate = try? compiler.compile(l).condition { return .gate(gate, plan(r)) }
            if !Self.readsCustomer(r), let gate = try? compiler.compile(r).condition { return .gate(gate, plan(l)) }
            return .either(plan(l), plan(r))
        case .binary(.or, let l, let r, _):
            return .union([plan(l), plan(r)])
        default:
            return .all
        }
    }

    /// Whether an expression depends on the customer (otherwise it is about the user alone).
    static func readsCustomer(_ syntax: Syntax) -> Bool {
        switch syntax {
        case .literal: return false
        case .path(let p, _): return p[0] != "user" && p[0] != "now"
        case .call(let name, let arguments, _):
            if name == "in_department" { return arguments.contains { readsCustomer($0.value) } }
            return name == "manages" || arguments.contains { readsCustomer($0.value) }
        case .list(let items, _): return items.contains(where: readsCustomer)
        case .not(let inner, _): return readsCustomer(inner)
        case .binary(_, let l, let r, _): return readsCustomer(l) || readsCustomer(r)
        }
    }
}
