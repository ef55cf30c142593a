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
    /// Earlier rows of the same file, by line (the first of them).
    package var rows: [Int]
    /// Rows that match beside those named.
    package var more: Int = 0
    /// The first matched field (the column a refused row is reported at).
    package var field: String

    /// "may duplicate P000012 and row 4 (duplicate rule 'same-phone')", five named at
    /// most, then how many more; a refusal that names no one says only that a stored
    /// customer matches.
    package var message: String {
        let named = customers + rows.map { "row \($0)" }
        let shown = Array(named.prefix(5))
        let rest = named.count + more - shown.count
        let whom =
            shown.isEmpty
            ? "a stored customer"
            : rest > 0
                ? shown.joined(separator: ", ") + " and \(rest) more"
                : shown.count == 1 ? shown[0] : shown.dropLast().joined(separator: ", ") + " and " + shown.last!
        return refuses
            ? "matches \(whom) by duplicate rule '\(rule)', which refuses new customers that do"
            : "may duplicate \(whom) (duplicate rule '\(rule)')"
    }

    package var json: JSONValue { .object(members) }

    package var members: [(String, JSONValue)] {
        [
            ("rule", .string(rule)), ("on_add", .string(refuses ? "refuse" : "warn")),
            ("customers", .array(customers.map(JSONValue.string))), ("rows", .array(rows.map { .number(String($0)) })),
            ("more_rows", .number(String(more))), ("message", .string(message)),
        ]
    }

}

/// Checks new customers against the matching rules as `add` and `import` store them:
/// against the stored customers, through the keys the store's value index keeps (an
/// exact rule's values; a fuzzy rule's block, the customers whose values begin with the
/// same 3 characters, or the same 8 when more than `blockLimit` share the 3, of which
/// the nearest `window` on each side in sorted order are compared), and against the
/// new customers checked and kept before (`remember`).
///
/// A refusing rule counts every stored customer (as a unique field does); a warning, and
/// a refusal's message, name only those `user` may view with the matched fields readable
/// unmasked (and none without a user). Names stop at `named`; every bound keeps a batch
/// of 100k rows that all match one customer linear.
final class DuplicateCheck {
    let operations: CustomerOperations
    let user: Int?
    private let held: UniqueValues?
    /// Fuzzy blocks read so far: the stored customers' texts, sorted.
    private var blocks: [String: [(text: [Unicode.Scalar], id: String)]] = [:]
    /// The blocks of 3 characters found crowded: the block of 8 is read instead.
    private var crowded: Set<String> = []
    /// Whether the user may be told of a stored customer, by rule and id.
    private var shownCache: [String: Bool] = [:]
    /// Earlier new customers: by exact key, the first rows and how many; by fuzzy block
    /// (of 3), the same by text, and the distinct texts in the order they came.
    private var earlierExact: [String: (rows: [Int], count: Int)] = [:]
    private struct AlikeRows {
        var byText: [[Unicode.Scalar]: (rows: [Int], count: Int)] = [:]
        var texts: [[Unicode.Scalar]] = []
    }
    private var earlierAlike: [String: AlikeRows] = [:]
    static let window = 8
    static let blockLimit = 4_096
    /// Distinct texts of a fuzzy block's earlier rows a new row is compared with (the
    /// latest; rows of the same text are found whatever their number).
    static let rowLimit = 64
    /// How many customers, and rows, a match names at most.
    static let named = 20
    /// How many stored customers are looked at for names.
    static let looked = 200

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

    /// A new customer's keys and what they match.
    struct Checked {
        var matches: [DuplicateMatch] = []
        fileprivate var keys: [DuplicateKey] = []
    }

    /// What the new customer `bytes` (a stored document) matches among the stored
    /// customers and the new ones remembered.
    func check(_ bytes: UnsafeBufferPointer<UInt8>) throws(OperationError) -> Checked {
        let unique = operations.unique
        guard let (id, _, keys) = unique.read(bytes), !keys.isEmpty else { return Checked() }
        var result = Checked(keys: keys)
        for key in keys {
            let rule = unique.duplicates[key.rule]
            let text = key.text
            var stored: [String]
            var rows: [Int]
            var rowCount: Int
            if let fuzzy = rule.fuzzy {
                stored = try Self.neighbours(of: text, in: block(key, rule), \.text).filter {
                    $0.id != id && CustomerOperations.similarity(text, $0.text, atLeast: fuzzy)
                }.map(\.id)
                rows = []
                rowCount = 0
                if let earlier = earlierAlike[key.block(rule, length: 3)] {
                    let alike =
                        (earlier.byText[text] == nil ? [] : [text])
                        + earlier.texts.suffix(Self.rowLimit).filter {
                            $0 != text && CustomerOperations.similarity(text, $0, atLeast: fuzzy)
                        }
                    for other in alike {
                        let found = earlier.byText[other]!
                        rows += found.rows
                        rowCount += found.count
                    }
                }
            } else {
                stored = held?.ids(holding: key.exactKey(rule)).filter { $0 != id } ?? []
                let earlier = earlierExact[key.exactKey(rule)]
                rows = earlier?.rows ?? []
                rowCount = earlier?.count ?? 0
            }
            guard !stored.isEmpty || rowCount > 0 else { continue }
            let refuses = rule.onAdd == .refuse
            let matched = stored.count
            stored = named(stored, rule)
            // A warning tells only what the user may see; without a user, that there are some.
            guard refuses || !stored.isEmpty || rowCount > 0 || (user == nil && matched > 0) else { continue }
            result.matches.append(
                DuplicateMatch(
                    rule: rule.id, refuses: refuses, customers: stored, rows: Array(rows.sorted().prefix(Self.named)),
                    more: max(0, rowCount - Self.named), field: rule.match[0]))
        }
        return result
    }

    /// Counts a customer the batch changes (its document as it will be) among those the
    /// next new ones are compared with.
    func remember(_ bytes: UnsafeBufferPointer<UInt8>, row: Int) {
        guard let (_, _, keys) = operations.unique.read(bytes) else { return }
        remember(Checked(keys: keys), row: row)
    }

    /// Counts a checked customer, kept (stored, or to be), among those the next are compared with.
    func remember(_ checked: Checked, row: Int) {
        let duplicates = operations.unique.duplicates
        for key in checked.keys {
            let rule = duplicates[key.rule]
            if rule.fuzzy == nil {
                let exact = key.exactKey(rule)
                var earlier = earlierExact.removeValue(forKey: exact) ?? ([], 0)
                if earlier.rows.count < Self.named { earlier.rows.append(row) }
                earlier.count += 1
                earlierExact[exact] = earlier
            } else {
                let text = key.text
                var earlier = earlierAlike.removeValue(forKey: key.block(rule, length: 3)) ?? AlikeRows()
                var found = earlier.byText.removeValue(forKey: text) ?? ([], 0)
                if found.count == 0 { earlier.texts.append(text) }
                if found.rows.count < Self.named { found.rows.append(row) }
                found.count += 1
                earlier.byText[text] = found
                earlierAlike[key.block(rule, length: 3)] = earlier
            }
        }
    }

    /// The stored customers `user` may be told of, by number, at most `named` of the first `looked`.
    private func named(_ ids: [String], _ rule: DuplicateRule) -> [String] {
        guard let user else { return [] }
        var result: [String] = []
        for id in ids.sorted(by: CustomerListing.numberOrder).prefix(Self.looked) {
            let cacheKey = rule.id + "\u{0}" + id
            let shown =
                shownCache[cacheKey]
                ?? {
                    guard let (_, table) = try? operations.existing(id, as: user, for: .view) else { return false }
                    let access = operations.fieldAccess(user: user, customer: 0, in: table)
                    return rule.match.allSatisfy { access.canRead($0) && access.masks[$0] == nil }
                }()
            shownCache[cacheKey] = shown
            if shown { result.append(id) }
            if result.count == Self.named { break }
        }
        return result
    }

    /// The stored customers of a fuzzy block, read once: the block of 3 characters, or of
    /// 8 when the first is crowded; at most `blockLimit` of them.
    private func block(_ key: DuplicateKey, _ rule: DuplicateRule) throws(OperationError) -> [(
        text: [Unicode.Scalar], id: String
    )] {
        let wide = key.block(rule, length: 3)
        var name = crowded.contains(wide) ? key.block(rule, length: 8) : wide
        if let found = blocks[name] { return found }
        var ids = held?.ids(holding: name) ?? []
        if name == wide, ids.count > Self.blockLimit {
            crowded.insert(wide)
            name = key.block(rule, length: 8)
            if let found = blocks[name] { return found }
            ids = held?.ids(holding: name) ?? []
        }
        var found: [(text: [Unicode.Scalar], id: String)] = []
        for id in ids.sorted(by: CustomerListing.numberOrder).prefix(Self.blockLimit) {
            let document: JSONValue?
            do { document = try operations.store.document(id) } catch { throw .store(error) }
            guard let document else { continue }
            let bytes = Array(document.jsonText.utf8)
            guard let (_, _, keys) = bytes.withUnsafeBufferPointer({ operations.unique.read($0) }),
                let mine = keys.first(where: { $0.rule == key.rule })
            else { continue }
            found.append((mine.text, id))
        }
        found.sort { $0.text.lexicographicallyPrecedes($1.text) }
        blocks[name] = found
        return found
    }

    /// The entries of sorted `list` nearest `text`: `window` on each side of where it sorts.
    static func neighbours<T>(of text: [Unicode.Scalar], in list: [T], _ key: (T) -> [Unicode.Scalar]) -> ArraySlice<T>
    {
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if key(list[mid]).lexicographicallyPrecedes(text) { low = mid + 1 } else { high = mid }
        }
        return list[max(0, low - window)..<min(list.count, low + window)]
    }
}
