import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// Customers a matching rule (`duplicates:`) finds alike: their ids, by number, and
/// the values they share (normalised), as the user who asks may read them.
package struct DuplicateGroup: Sendable, Equatable {
    package var rule: String
    package var values: [String]
    package var ids: [String]

    package var json: JSONValue {
        .object([
            ("rule", .string(rule)), ("values", .array(values.map(JSONValue.string))),
            ("customers", .array(ids.map(JSONValue.string))),
        ])
    }
}

extension CustomerOperations {
    /// The matching rules, or the one named.
    package func duplicateRules(named name: String?) throws(OperationError) -> [DuplicateRule] {
        let rules = config.model.duplicates
        guard let name else { return rules }
        guard let rule = rules.first(where: { $0.id == name }) else {
            throw .invalid([
                "there is no duplicate rule '\(name)'\(Suggestion.didYouMean(name, in: rules.map(\.id)))"
            ])
        }
        return [rule]
    }

    /// The groups of duplicates among the customers `actor` may view, rule by rule. A
    /// customer counts only where the user may read every field its rule matches, unmasked:
    /// a group must not tell a value they may not read.
    package func duplicates(as actor: String, rules: [DuplicateRule]) throws(OperationError) -> [DuplicateGroup] {
        try duplicateGroups(rules: rules, user: try user(actor))
    }

    /// The groups among the customers `user` may view (every stored customer without a
    /// user, read from the documents without the store's cached columns: a plan's count
    /// under a config not applied yet).
    func duplicateGroups(rules: [DuplicateRule], user u: Int?) throws(OperationError) -> [DuplicateGroup] {
        let needed = Array(Set(rules.flatMap(\.match))).sorted()
        let table: CustomerTable
        let values: [String: [String?]]
        do {
            // Who sees what comes from the access columns (the store's cache, for a user);
            // the matched fields from one pass over the documents on both cores.
            table = try u == nil ? store.customerTableFromDocuments(for: policy) : store.customerTable(for: policy)
            values = try Self.fieldTexts(store, fields: needed)
        } catch { throw .store(error) }
        let visible =
            u.map { policy.visible(user: $0, action: .view, in: table, index: CustomerIndex(table), now: now) }
            ?? Array(0..<table.count)
        let org = table.org
        var groups: [DuplicateGroup] = []
        for rule in rules {
            let positions = rule.match.compactMap { needed.firstIndex(of: $0) }
            let teamIndex = rule.team.flatMap { org.team($0).map(Int32.init) }
            let packageIndex = rule.package.flatMap { org.package($0).map(Int32.init) }
            var entries: [(key: [String], customer: Int)] = []
            for c in visible {
                guard table.tableKind(c) == rule.table else { continue }
                if let teamIndex, table.team[c] != teamIndex { continue }
                if let packageIndex, table.package[c] != packageIndex { continue }
                guard let texts = values[table.ids[c]] else { continue }
                var key: [String] = []
                for (field, position) in zip(rule.match, positions) {
                    guard let text = texts[position],
                        let value = DuplicateKey.value(text, normalization(of: field, rule: rule, table: table, c))
                    else { break }
                    key.append(value)
                }
                guard key.count == positions.count else { continue }
                if let u {
                    let access = fieldAccess(user: u, customer: c, in: table)
                    guard rule.match.allSatisfy({ access.canRead($0) && access.masks[$0] == nil }) else { continue }
                }
                entries.append((key, c))
            }
            let found =
                rule.fuzzy.map { Self.similarGroups(entries, threshold: $0) } ?? Self.equalGroups(entries)
            groups += found.map { members in
                DuplicateGroup(
                    rule: rule.id, values: entries[members[0]].key,
                    ids: members.map { table.ids[entries[$0].customer] }.sorted(by: CustomerListing.numberOrder))
            }
        }
        return groups.sorted { a, b in
            a.rule != b.rule
                ? (rules.firstIndex { $0.id == a.rule } ?? 0) < (rules.firstIndex { $0.id == b.rule } ?? 0)
                : CustomerListing.numberOrder(a.ids[0], b.ids[0])
        }
    }

    /// How a matched field's values are compared: the rule's normalisation, else the
    /// field's own, else trimmed (and, for a fuzzy rule, lower-cased).
    private func normalization(of field: String, rule: DuplicateRule, table: CustomerTable, _ c: Int)
        -> Normalization
    {
        if let n = rule.normalize { return n }
        let team = table.team[c] >= 0 ? table.org.teamIds[Int(table.team[c])] : ""
        let package = table.package[c] >= 0 ? table.org.packageIds[Int(table.package[c])] : nil
        let own = config.model.schema.fields(team: team, table: rule.table, package: package)
            .first { $0.identities.contains(field) }?.spec.normalize
        return own ?? (rule.fuzzy == nil ? .trim : .lowercase)
    }

    /// Each stored customer's values of `fields` as text (nil where it has none), by id.
    static func fieldTexts(_ store: any CustomerStore, fields: [String]) throws(StoreError) -> [String: [String?]] {
        /// What one worker found; each worker writes only its own.
        final class Part: @unchecked Sendable { var found: [(id: String, texts: [String?])] = [] }
        let parts = [Part(), Part()]
        let keys = fields.map { Array($0.utf8) }
        try store.forEachDocumentConcurrently(workers: parts.count) { w, bytes in
            var tape = JSONTape()
            guard (try? tape.parse(bytes)) != nil else { return }
            tape.withView(bytes: bytes) { view in
                guard view.kind(0) == .object else { return }
                var id: String?
                var texts = [String?](repeating: nil, count: fields.count)
                var j = 1
                while j < view.next(0) {
                    if view.stringEquals(j, "id"), view.kind(j + 1) == .string {
                        id = view.string(j + 1)
                    } else if view.stringEquals(j, "fields"), view.kind(j + 1) == .object {
                        var f = j + 2
                        while f < view.next(j + 1) {
                            let k = view.withString(f) { key in
                                keys.firstIndex { $0.elementsEqual(key) }
                            }
                            if let k {
                                texts[k] = text(view.value(f + 1))
                            }
                            f = view.next(f + 1)
                        }
                    }
                    j = view.next(j + 1)
                }
                if let id, texts.contains(where: { $0 != nil }) { parts[w].found.append((id, texts)) }
            }
        }
        var result: [String: [String?]] = [:]
        result.reserveCapacity(parts.reduce(0) { $0 + $1.found.count })
        for part in parts { for (id, texts) in part.found { result[id] = texts } }
        return result
    }

    /// A value as the text matched: a list's items joined by `;`; nil for null or empty.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .array(let items):
            let texts = items.compactMap(text)
            return texts.isEmpty ? nil : texts.joined(separator: ";")
        case .object: return value.jsonText
        }
    }

    /// Entries with equal keys, as groups of indexes (two or more each).
    static func equalGroups(_ entries: [(key: [String], customer: Int)]) -> [[Int]] {
        var byKey: [[String]: [Int]] = [:]
        for (k, entry) in entries.enumerated() { byKey[entry.key, default: []].append(k) }
        return byKey.values.filter { $0.count > 1 }
    }

    /// Entries whose keys are at least `threshold` alike (1 minus the edit distance over
    /// the longer length), compared with the next few in sorted order (the sorted
    /// neighbourhood: alike values sort near each other), joined transitively.
    static func similarGroups(_ entries: [(key: [String], customer: Int)], threshold: Double, window: Int = 8)
        -> [[Int]]
    {
        let keys = entries.map { Array($0.key.joined(separator: " ").unicodeScalars) }
        let order = keys.indices.sorted { keys[$0].lexicographicallyPrecedes(keys[$1]) }
        var parent = Array(keys.indices)
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        for (i, a) in order.enumerated() {
            for b in order[(i + 1)..<min(order.count, i + 1 + window)]
            where similarity(keys[a], keys[b], atLeast: threshold) {
                parent[root(b)] = root(a)
            }
        }
        var groups: [Int: [Int]] = [:]
        for k in keys.indices { groups[root(k), default: []].append(k) }
        return groups.values.filter { $0.count > 1 }
    }

    /// How many characters of each text fuzzy matching compares: a long text is
    /// compared on its beginning, which keeps one comparison bounded.
    static let comparedLength = 1_000

    /// Whether two texts are at least `threshold` alike by edit distance (of their first
    /// `comparedLength` characters). Only the band of cells within the distance allowed of
    /// the diagonal is computed.
    static func similarity(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], atLeast threshold: Double) -> Bool {
        let a = a.prefix(comparedLength)
        let b = b.prefix(comparedLength)
        let longer = max(a.count, b.count)
        guard longer > 0 else { return true }
        let allowed = Int((1 - threshold) * Double(longer) + 1e-9)
        guard abs(a.count - b.count) <= allowed else { return false }
        guard !a.isEmpty, !b.isEmpty else { return true }
        let (a0, b0) = (a.startIndex, b.startIndex)
        let far = allowed + 1
        var previous = (0...b.count).map { min($0, far) }
        var current = [Int](repeating: far, count: b.count + 1)
        for i in 1...a.count {
            let low = max(1, i - allowed)
            let high = min(b.count, i + allowed)
            current[0] = min(i, far)
            if low > 1 { current[low - 1] = far }
            var best = far
            if low <= high {
                for j in low...high {
                    let substitution = previous[j - 1] + (a[a0 + i - 1] == b[b0 + j - 1] ? 0 : 1)
                    current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution, far)
                    best = min(best, current[j])
                }
            }
            if high < b.count { current[high + 1] = far }
            if best > allowed && current[0] > allowed { return false }
            swap(&previous, &current)
        }
        return previous[b.count] <= allowed
    }
}
