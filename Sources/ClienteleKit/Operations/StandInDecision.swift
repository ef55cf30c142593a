import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// Actions that are not about one stored customer, decided by the same rules on a
/// stand-in customer: `configure` on a customer of no team (so only rules that do
/// not look at the customer, such as the admins', can allow it), and `sweep` on a
/// customer sitting in the pool (so the pool's admins and members are known).
extension CompiledConfig {
    /// Whether `user` may change the store's config (`apply`, `rollback`).
    package func mayConfigure(_ user: Int) -> Bool {
        decide(user, .configure, on: .object([("id", .string("-"))])).allowed
    }

    /// Whether `user` may run the automatic return of `pool`.
    package func maySweep(_ user: Int, pool: Pool) -> Bool {
        decide(
            user, .sweep, on: .object([("id", .string("-")), ("team", .string(pool.team)), ("pool", .string(pool.id))])
        ).allowed
    }

    /// Refuses (exit 3) unless `user` may configure; `doing` says what was asked.
    package func refuseUnlessConfigure(_ user: Int, doing: String) throws(OperationError) {
        guard mayConfigure(user) else {
            throw .refused(
                "\(access.org.userIds[user]) may not \(doing): it needs the 'configure' action, which the rules give to admins"
            )
        }
    }

    private func decide(_ user: Int, _ action: Action, on standIn: JSONValue) -> AccessPolicy.Decision {
        access.decide(user: user, action: action, customer: 0, in: access.customerTable(of: standIn))
    }
}
