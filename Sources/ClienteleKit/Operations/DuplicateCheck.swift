import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// What a new customer matches under one matching rule (`duplicates:`), as the user
/// who adds it may be told: stored customers they may view with every matched field
/// readable, and earlier rows of the same file.
package struct DuplicateMatch: Sendable, Equatable {
    package var rule: String
    /// The rule's `on_add`: a refusal, or a warning.
    package var refuses: Bool
    /// Stored customers, by number.
    package var customers: [String]
    /// Earlier rows of the same file, by line.
    package var rows: [Int]
    /// The first matched field (the column a refused row is reported at).
    package var field: String

    /// "may duplicate P000012 and row 4 (duplicate rule 'same-phone')"; a refusal that
    /// names no one says only that a stored customer matches.
    package var message: String {
        let named = customers + rows.map { "row \($0)" }
        let whom = named.isEmpty ? "a stored customer" : Self.joined(named)
        return refuses
            ? "matches \(whom) by duplicate rule '\(rule)', which refuses new customers that do"
            : "may duplicate \(whom) (duplicate rule '\(rule)')"
    }

    package var json: JSONValue { .object(members) }

    package var members: [(String, JSONValue)] {
        [
            ("rule", .string(rule)), ("on_add", .string(refuses ? "refuse" : "warn")),
            ("customers", .array(customers.map(JSONValue.string))), ("rows", .array(rows.map { .number(String($0)) })),
            ("message", .string(message)),
        ]
    }

    private static func joined(_ names: [String]) -> String {
        if names.count > 5 { return names.prefix(5).joined(separator: ", ") + " and \(names.count - 5) more" }
        return names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}

/// Checks new customers against the matching rules as `add` and `import` store them:
/// against the stored customers, through the keys the store's value index keeps (an
/// exact rule's values; a fuzzy rule's block, the customers whose values begin with the
/// same three characters, compared with the nearest 8 on each side in sorted order, as
/// `customer duplicates` compares), and against the new customers checked before.
///
/// A refusing rule counts every stored customer (as a unique field does); a warning, and
/// a refusal's message, name only those `user` may view with the matched fields readable
/// unmasked.
final class DuplicateCheck {
    let operations: CustomerOperations
    let user: Int?
    private let held: UniqueValues?
    /// Fuzzy blocks read so far: the stored customers' texts, sorted.
    private var blocks: [String: [(text: [Unicode.Scalar], id: String)]] = [:]
    /// Earlier new customers, by key: exact keys, and each fuzzy block's texts.
    private var earlier: [String: [(text: [Unicode.Scalar], row: Int)]] = [:]
    static let window = 8

    /// Nil when the config has no matching rule. Reads the store's value index: call it
    /// before a batch starts writing.
    init?(operations: CustomerOperations, user: Int?) throws(OperationError) {
        guard !operations.config.model.duplicates.isEmpty else { return nil }
        self.operations = operations
        self.user = user
        let unique = operations.unique
        do {
            held =
                operations.store.count > 0
                ? try operations.store.uniqueValues(layout: unique.layout, keys: unique.keys(ofDocument:)) : nil
        } catch { throw .store(error) }
    }

    /// What the new customer `bytes` (a stored document) matches; with `row`, it is
    /// remembered for the rows after it.
    func matches(_ bytes: UnsafeBufferPointer<UInt8>, row: Int? = nil) -> [DuplicateMatch] {
        let unique = operations.unique
        guard let (id, _, keys) = unique.read(bytes), !keys.isEmpty else { return [] }
        var result: [DuplicateMatch] = []
        for key in keys {
            let rule = unique.duplicates[key.rule]
            let indexKey = key.key(rule)
            let text = key.text
            var stored: [String]
            var rows: [Int]
            if let fuzzy = rule.fuzzy {
                stored = Self.neighbours(of: text, in: block(indexKey, rule: key.rule), \.text).filter {
                    $0.id != id && CustomerOperations.similarity(text, $0.text, atLeast: fuzzy)
                }.map(\.id)
                rows = Self.neighbours(of: text, in: earlier[indexKey] ?? [], \.text).filter {
                    CustomerOperations.similarity(text, $0.text, atLeast: fuzzy)
                }.map(\.row)
            } else {
                stored = held?.ids(holding: indexKey).filter { $0 != id } ?? []
                rows = earlier[indexKey]?.map(\.row) ?? []
            }
            if let row {
                var list = earlier[indexKey] ?? []
                let at = rule.fuzzy == nil ? list.count : Self.insertionPoint(of: text, in: list, \.text)
                list.insert((text, row), at: at)
                earlier[indexKey] = list
            }
            guard !stored.isEmpty || !rows.isEmpty else { continue }
            let refuses = rule.onAdd == .refuse
            stored = stored.filter { shown($0, rule) }
            guard refuses || !stored.isEmpty || !rows.isEmpty else { continue }
            result.append(
                DuplicateMatch(
                    rule: rule.id, refuses: refuses, customers: stored.sorted(by: CustomerListing.numberOrder),
                    rows: rows.sorted(), field: rule.match[0]))
        }
        return result
    }

    /// The stored customers of a fuzzy block, read once.
    private func block(_ key: String, rule: Int) -> [(text: [Unicode.Scalar], id: String)] {
        if let found = blocks[key] { return found }
        var found: [(text: [Unicode.Scalar], id: String)] = []
        for id in held?.ids(holding: key) ?? [] {
            guard let document = try? operations.store.document(id) else { continue }
            let bytes = Array(document.jsonText.utf8)
            guard let (_, _, keys) = bytes.withUnsafeBufferPointer({ operations.unique.read($0) }),
                let mine = keys.first(where: { $0.rule == rule })
            else { continue }
            found.append((mine.text, id))
        }
        found.sort { $0.text.lexicographicallyPrecedes($1.text) }
        blocks[key] = found
        return found
    }

    /// Whether `user` may be told of the stored customer `id` under `rule`.
    private func shown(_ id: String, _ rule: DuplicateRule) -> Bool {
        guard let user else { return true }
        guard let (_, table) = try? operations.existing(id, as: user, for: .view) else { return false }
        let access = operations.fieldAccess(user: user, customer: 0, in: table)
        return rule.match.allSatisfy { access.canRead($0) && access.masks[$0] == nil }
    }

    /// The entries of sorted `list` nearest `text`: `window` on each side of where it sorts.
    static func neighbours<T>(of text: [Unicode.Scalar], in list: [T], _ key: (T) -> [Unicode.Scalar]) -> ArraySlice<T>
    {
        let at = insertionPoint(of: text, in: list, key)
        return list[max(0, at - window)..<min(list.count, at + window)]
    }

    static func insertionPoint<T>(of text: [Unicode.Scalar], in list: [T], _ key: (T) -> [Unicode.Scalar]) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if key(list[mid]).lexicographicallyPrecedes(text) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
