import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// Operations on several customers at once: one access check per customer, one
/// batch for all of them (all or nothing), one log entry.
extension CustomerOperations {
    /// Applies `change` to each customer's document; `action` must be allowed on every one.
    /// `edits`: whether the change edits the customer (`modified_at`/`modified_by`);
    /// following does not.
    /// Returns the ids of the customers it changed.
    @discardableResult
    func update(
        as actor: String, ids: [String], action: Action, what: String, type: String, time: String,
        reason: String? = nil, edits: Bool = true,
        change: (inout [(String, JSONValue)], String) -> [(String, JSONValue, JSONValue)]
    ) throws(OperationError) -> [String] {
        let u = try user(actor)
        guard !ids.isEmpty else { throw .invalid(["name at least one customer"]) }
        var operations: [StoreOperation] = []
        var changes: [(String, JSONValue, JSONValue)] = []
        var seen: Set<String> = []
        for id in ids where seen.insert(id).inserted {
            let (document, table) = try existing(id, as: u, for: action)
            try refuseUnless(u, action, table, what: "\(what) \(id)")
            guard case .object(var members) = document else {
                throw .invalid(["customer '\(id)' is not a valid document"])
            }
            let made = change(&members, id)
            guard !made.isEmpty else { continue }
            for key in ["modified_at", "modified_by"] where edits {
                if let i = members.firstIndex(where: { $0.0 == key }) {
                    members[i].1 = .string(key == "modified_at" ? time : actor)
                }
            }
            let updated = JSONValue.object(members)
            try validate(updated)
            operations.append(.put(id: id, document: updated))
            changes.append(contentsOf: made.map { ("\(id).\($0.0)", $0.1, $0.2) })
        }
        guard !operations.isEmpty else { return [] }
        let changed = operations.compactMap(\.id)
        operations.append(
            logEntry(type, actor: actor, time: time, customers: changed, changes: changes, reason: reason))
        do { try store.commit(operations) } catch { throw .store(error) }
        return changed
    }

    /// Replaces a list-valued system key, recording the change when there is one.
    static func setList(_ members: inout [(String, JSONValue)], _ key: String, _ transform: ([String]) -> [String])
        -> [(String, JSONValue, JSONValue)]
    {
        let index = members.firstIndex { $0.0 == key }
        let old =
            index.flatMap { k -> [String]? in
                if case .array(let a) = members[k].1 { return a.compactMap(\.stringValue) } else { return nil }
            } ?? []
        let new = transform(old)
        guard new != old else { return [] }
        let value = JSONValue.array(new.map(JSONValue.string))
        if let index { members[index].1 = value } else { members.append((key, value)) }
        return [(key, .array(old.map(JSONValue.string)), value)]
    }

    /// `a`, then what `b` adds, each once (`share --users bob,bob` shares with bob once).
    static func union(_ a: [String], _ b: [String]) -> [String] {
        var result = a
        var seen = Set(a)
        for x in b where seen.insert(x).inserted { result.append(x) }
        return result
    }

    @discardableResult
    package func follow(as actor: String, ids: [String], following: Bool, time: String) throws(OperationError)
        -> [String]
    {
        return try update(
            as: actor, ids: ids, action: .follow, what: following ? "follow" : "unfollow",
            type: following ? "follow" : "unfollow",
            time: time, edits: false
        ) { members, _ in
            Self.setList(&members, "followers") { following ? Self.union($0, [actor]) : $0.filter { $0 != actor } }
        }
    }

    /// Additive sharing; several ids make a batch share.
    @discardableResult
    package func share(
        as actor: String, ids: [String], users: [String], departments: [String], roles: [String], time: String
    ) throws(OperationError) -> [String] {
        guard !(users.isEmpty && departments.isEmpty && roles.isEmpty) else {
            throw .invalid(["share with --users, --departments or --roles"])
        }
        return try update(
            as: actor, ids: ids, action: .share, what: "share", type: ids.count > 1 ? "batch-share" : "share",
            time: time
        ) { members, _ in
            Self.changeShared(&members) { key, old in
                Self.union(old, key == "users" ? users : key == "departments" ? departments : roles)
            }
        }
    }

    /// Cancels sharing: everything (`all`) or the users, departments and roles named.
    @discardableResult
    package func unshare(
        as actor: String, ids: [String], all: Bool, users: [String], departments: [String], roles: [String],
        time: String
    ) throws(OperationError) -> [String] {
        guard all || !(users.isEmpty && departments.isEmpty && roles.isEmpty) else {
            throw .invalid(["unshare --all, or name --users, --departments or --roles"])
        }
        return try update(
            as: actor, ids: ids, action: .unshare, what: "unshare", type: ids.count > 1 ? "batch-unshare" : "unshare",
            time: time
        ) { members, _ in
            Self.changeShared(&members) { key, old in
                if all { return [] }
                let removed = key == "users" ? users : key == "departments" ? departments : roles
                return old.filter { !removed.contains($0) }
            }
        }
    }

    static func changeShared(_ members: inout [(String, JSONValue)], _ transform: (String, [String]) -> [String]) -> [(
        String, JSONValue, JSONValue
    )] {
        var shared: [(String, JSONValue)] = []
        if let k = members.firstIndex(where: { $0.0 == "shared" }), case .object(let m) = members[k].1 { shared = m }
        var changes: [(String, JSONValue, JSONValue)] = []
        for key in ["users", "departments", "roles"] {
            changes += setList(&shared, key) { transform(key, $0) }.map { ("shared.\($0.0)", $0.1, $0.2) }
        }
        if let k = members.firstIndex(where: { $0.0 == "shared" }) {
            members[k].1 = .object(shared)
        } else {
            members.append(("shared", .object(shared)))
        }
        return changes
    }

    /// `set` overwrites the tags; otherwise they are added.
    @discardableResult
    package func tag(as actor: String, ids: [String], tags: [String], overwrite: Bool, time: String)
        throws(OperationError) -> [String]
    {
        return try update(as: actor, ids: ids, action: .tag, what: "tag", type: "tag", time: time) { members, _ in
            Self.setList(&members, "tags") { overwrite ? uniqued(tags) : Self.union($0, tags) }
        }
    }
}

/// The items in order, each once.
func uniqued(_ items: [String]) -> [String] {
    var seen: Set<String> = []
    return items.filter { seen.insert($0).inserted }
}

extension CustomerOperations {
    /// `ID... TAG...` as `tag` takes them: the leading arguments that are shaped like
    /// a customer number of one of the config's tables, or that name stored customers
    /// `actor` may view or tag, are ids; the rest are tags. (A customer the actor may
    /// not see is a word like any other: the split never tells that it exists.)
    package func splitIdsAndTags(_ arguments: [String], as actor: String) -> (ids: [String], tags: [String]) {
        let numberings = TableKind.allCases.map { config.model.schema.numbering(for: $0) }
        func looksLikeId(_ s: String) -> Bool {
            numberings.contains { n in
                s.hasPrefix(n.prefix) && s.count == n.prefix.count + n.digits
                    && s.dropFirst(n.prefix.count).allSatisfy(\.isNumber)
            }
        }
        let u = try? user(actor)
        func seenStored(_ id: String) -> Bool {
            guard let u, store.contains(id), let document = try? store.document(id) else { return false }
            let table = accessTable(document)
            return policy.isAllowed(user: u, action: .view, customer: 0, in: table, now: now)
                || policy.isAllowed(user: u, action: .tag, customer: 0, in: table, now: now)
        }
        let ids = Array(arguments.prefix { looksLikeId($0) || seenStored($0) })
        return (ids, Array(arguments.dropFirst(ids.count)))
    }
}
