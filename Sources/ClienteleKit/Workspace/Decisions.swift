import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// Access questions (can, who-can, visible, a batch of decisions) over a set of
/// customers: the store's, under its applied version, or a JSON Lines file's.
package struct Decisions {
    /// The config whose rules decide.
    package let config: CompiledConfig
    /// The customers, in the columns the rules read.
    package let customers: CustomerTable
    /// What a customer id that is not found is missing from, for messages.
    package let source: String
    /// What `now` is in the rules: seconds since 1970 (default the clock).
    package var now = Timestamp.currentSeconds()

    package var policy: AccessPolicy { config.access }

    /// Over the stored customers of `applied`.
    package init(stored applied: AppliedStore) throws(OperationError) {
        config = applied.config
        source = "stored customer"
        do { customers = try applied.store.customerTable(for: applied.config.access) } catch { throw .store(error) }
    }

    /// Over the customers of the JSON Lines file at `path` (stored documents or import
    /// rows), decided by `config`: data that is not stored (yet).
    package init(file path: String, config: CompiledConfig) throws(OperationError) {
        let mapped: MappedFile
        do { mapped = try MappedFile(path: path) } catch { throw .invalid([error.description]) }
        let table = config.access.makeCustomerTable()
        var skipped: [Int] = []
        var lines: [Int] = []
        table.addJSONLines(mapped.bytes, skipped: { skipped.append($0) }, lines: { lines.append($0) })
        if let first = skipped.first {
            let more =
                skipped.count > 1 ? " (and \(skipped.count - 1) more \(skipped.count == 2 ? "row" : "rows"))" : ""
            throw .invalid(["\(path): row \(first): expected a customer, a JSON object with a text \"id\"\(more)"])
        }
        // One customer per id: a decision and a list must read the same row.
        var rows: [String: Int] = [:]
        for (row, id) in table.ids.enumerated() {
            if let earlier = rows.updateValue(row, forKey: id) {
                throw .invalid([
                    "\(path): row \(lines[row]), column id: '\(id)' is given again (first in row \(lines[earlier]))"
                ])
            }
        }
        self.config = config
        customers = table
        source = "customer in \(path)"
    }

    /// The index of a user of the config.
    package func user(_ id: String) throws(OperationError) -> Int {
        guard let u = policy.org.user(id) else {
            throw .invalid(["there is no user '\(id)'\(Suggestion.didYouMean(id, in: policy.org.userIds))"])
        }
        return u
    }

    /// The row of a customer.
    package func customer(_ id: String) throws(OperationError) -> Int {
        guard let c = customers.index(of: id) else { throw .notFound("there is no customer '\(id)'") }
        return c
    }

    /// Every customer `user` may take `action` on, in the table's order.
    package func visible(user: String, action: Action) throws(OperationError) -> [String] {
        let list = policy.visible(
            user: try self.user(user), action: action, in: customers, index: CustomerIndex(customers), now: now)
        return list.map { customers.ids[$0] }
    }

    /// Every user who may take `action` on the customer, each with the deciding rule.
    package func whoCan(_ action: Action, customer: String) throws(OperationError) -> [(user: String, rule: String)] {
        let ids = policy.org.userIds
        return policy.whoCan(action, customer: try self.customer(customer), in: customers, now: now).map {
            (ids[$0.user], $0.rule)
        }
    }

    /// The decision on one request, with the reasons `can --explain` prints.
    package func explain(user: String, action: Action, customer: String) throws(OperationError) -> Explanation {
        policy.explain(
            user: try self.user(user), action: action, customer: try self.customer(customer), in: customers, now: now)
    }

    /// Decides JSON Lines of `{"user","action","customer"}` (`can --batch`): each line
    /// comes back with `"allowed"` and `"rule"`, in order. A request that names no
    /// user, action or customer gets `"error"` on its own line and is counted in
    /// `failed`; the others are still decided. A line that is not a request object
    /// refuses the whole batch, naming its row.
    package func batch(_ text: String, path: String) throws(OperationError) -> (lines: String, failed: Int) {
        var out = ""
        var failed = 0
        // Lines end at LF or CRLF (a file written on Windows, as imports take).
        let lines: [(number: Int, text: String)] = Array(text.utf8).withUnsafeBufferPointer { bytes in
            Lines(bytes).map { line in
                let end = line.bytes.last == 0x0D ? line.bytes.count - 1 : line.bytes.count
                return (line.number, String(decoding: UnsafeBufferPointer(rebasing: line.bytes[..<end]), as: UTF8.self))
            }
        }
        for (row, line) in lines where !line.allSatisfy(\.isWhitespace) {
            guard let r = try? JSONValue.parse(line), case .object(var members) = r else {
                throw .invalid(["\(path): row \(row): expected a JSON object {\"user\",\"action\",\"customer\"}"])
            }
            // Which of two "user" keys counts is up to the reader: refused, so no two readers disagree.
            var keys = Set<String>()
            if let twice = members.first(where: { !keys.insert($0.0).inserted }) {
                throw .invalid(["\(path): row \(row): the key \"\(twice.0)\" is given twice"])
            }
            let user = r["user"]?.stringValue.flatMap(policy.org.user)
            let action = r["action"]?.stringValue.flatMap(Action.init(rawValue:))
            let customer = r["customer"]?.stringValue.flatMap(customers.index(of:))
            guard let user, let action, let customer else {
                let what =
                    user == nil
                    ? "no user \(r["user"]?.jsonText ?? "null")"
                    : action == nil
                        ? "no action \(r["action"]?.jsonText ?? "null")"
                        : "no \(source) \(r["customer"]?.jsonText ?? "null")"
                members.removeAll { ["allowed", "rule", "error"].contains($0.0) }
                members += [("allowed", .bool(false)), ("rule", .null), ("error", .string("there is \(what)"))]
                out += JSONValue.object(members).jsonText + "\n"
                failed += 1
                continue
            }
            let d = policy.decide(user: user, action: action, customer: customer, in: customers, now: now)
            members.removeAll { $0.0 == "allowed" || $0.0 == "rule" }
            members.append(("allowed", .bool(d.allowed)))
            members.append(("rule", d.ruleId.map(JSONValue.string) ?? .null))
            out += JSONValue.object(members).jsonText + "\n"
        }
        return (out, failed)
    }
}
