import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// Turns an import row that passed validation into the document the store keeps:
/// the row's own keys, the team, table and package of the validator that accepted
/// it when the row does not say, the defaults of the fields it leaves out, values
/// normalised as their fields say, and the keys the store keeps (followers, pool,
/// created and modified by and at).
///
/// Most rows need no default and no normalising; they keep their own bytes and
/// only gain the missing keys at the end. The work that depends only on the
/// validator (which fields have defaults, which are normalised, the bytes of the
/// added keys) is done once, up front.
struct ImportDocumentBuilder: Sendable {
    /// What is added to, or checked in, the rows of one validator.
    struct Plan: Sendable {
        /// `,"team":"…"`, `,"table":"…"` and `,"package":…` for rows that leave them out.
        var team: [UInt8]
        var table: [UInt8]
        var package: [UInt8]
        /// Fields with a default, by identity.
        var defaults: ByteKeyTable
        var defaultFields: [(identity: String, value: JSONValue)]
        /// Fields whose values are normalised, by identity.
        var normalized: ByteKeyTable
        var normalizations: [Normalization]
    }

    let plans: [Plan]
    /// The keys every stored document ends with.
    let suffix: [UInt8]

    /// The top-level keys the builder looks for.
    private enum Key: Int, CaseIterable {
        case id, team, table, package, accountExecutive, serviceRep, shared, tags, fields
        var name: String {
            switch self {
            case .id: StoredKey.id.name
            case .team: StoredKey.team.name
            case .table: StoredKey.table.name
            case .package: StoredKey.package.name
            case .accountExecutive: StoredKey.accountExecutive.name
            case .serviceRep: StoredKey.customerServiceRep.name
            case .shared: StoredKey.shared.name
            case .tags: StoredKey.tags.name
            case .fields: StoredKey.fields.name
            }
        }
    }

    private static let keys = ByteKeyTable(Key.allCases.map { ($0.name, $0.rawValue) })

    init(records: RecordValidator, actor: String, time: String) {
        func member(_ key: String, _ value: JSONValue) -> [UInt8] {
            var text = ","
            JSONValue.writeString(key, to: &text)
            text += ":"
            value.write(to: &text)
            return Array(text.utf8)
        }
        plans = records.validators.map { v in
            let defaulted = v.fields.filter { $0.defaultValue != nil && $0.identities.count == 1 }
            let normalized = v.fields.compactMap { f in f.spec.normalize.map { (f.identity, $0) } }
            return Plan(
                team: member("team", .string(v.team)),
                table: member("table", .string(v.table.rawValue)),
                package: member("package", v.package.map(JSONValue.string) ?? .null),
                defaults: ByteKeyTable(defaulted.enumerated().map { ($1.identity, $0) }),
                defaultFields: defaulted.map { ($0.identity, $0.defaultValue!) },
                normalized: ByteKeyTable(normalized.enumerated().map { ($1.0, $0) }),
                normalizations: normalized.map(\.1))
        }
        suffix =
            [
                ("followers", JSONValue.array([])), ("pool", .null), ("created_at", .string(time)),
                ("created_by", .string(actor)),
                ("modified_at", .string(time)), ("modified_by", .string(actor)),
            ].flatMap { member($0, $1) } + [UInt8(ascii: "}")]
    }

    private static let sharedEmpty = Array(#","shared":{"users":[],"departments":[],"roles":[]}"#.utf8)
    private static let tagsEmpty = Array(#","tags":[]"#.utf8)
    private static let accountExecutiveNull = Array(#","account_executive":null"#.utf8)
    private static let serviceRepNull = Array(#","customer_service_rep":null"#.utf8)

    /// Appends the stored document for the row in `view` to `out`; `assignedId` is
    /// the id numbered for a row that gives none. False when the row is not an object.
    func build(_ view: JSONView, validator: Int, assignedId: String?, into out: inout [UInt8]) -> Bool {
        guard view.kind(0) == .object else { return false }
        let plan = plans[validator]
        var keys: UInt32 = 0
        func present(_ key: Key) -> Bool { keys & (1 << key.rawValue) != 0 }
        var fieldsObject: Int?
        var j = 1
        while j < view.next(0) {
            if let k = view.withString(j, { Self.keys.lookup($0) }) {
                keys |= 1 << k
                if k == Key.fields.rawValue, view.kind(j + 1) == .object { fieldsObject = j + 1 }
            }
            j = view.next(j + 1)
        }
        // A row that gives `"id": null` gets its numbered id in place of the null.
        var rebuild = assignedId != nil && present(.id)
        var given = [Bool](repeating: false, count: plan.defaultFields.count)
        if let f = fieldsObject, !rebuild, plan.defaults.count > 0 || plan.normalized.count > 0 {
            var k = f + 1
            while k < view.next(f), !rebuild {
                let value = k + 1
                if view.kind(value) != .null, let d = view.withString(k, { plan.defaults.lookup($0) }) {
                    given[d] = true
                }
                if view.kind(value) == .string, let n = view.withString(k, { plan.normalized.lookup($0) }) {
                    rebuild = !Self.isNormalized(view, value, plan.normalizations[n])
                }
                k = view.next(value)
            }
        }
        rebuild = rebuild || given.contains(false)

        let start = out.count
        if rebuild {
            guard case .object(var members) = view.value(0) else { return false }
            if let assignedId {
                members.removeAll { $0.0 == "id" }
                members.insert(("id", .string(assignedId)), at: 0)
            }
            if let k = members.firstIndex(where: { $0.0 == "fields" }) {
                var fields: [(String, JSONValue)] = []
                if case .object(let f) = members[k].1 { fields = f.filter { !$0.1.isNull } }
                let have = Set(fields.map(\.0))
                for (identity, value) in plan.defaultFields where !have.contains(identity) {
                    fields.append((identity, value))
                }
                members[k].1 = .object(
                    fields.map { name, value in
                        guard case .string(let s) = value, let n = plan.normalized.lookup(name) else {
                            return (name, value)
                        }
                        return (name, .string(Normalizer.normalize(s, plan.normalizations[n])))
                    })
            } else if !plan.defaultFields.isEmpty {
                members.append(("fields", .object(plan.defaultFields.map { ($0.identity, $0.value) })))
            }
            out.append(contentsOf: JSONValue.object(members).jsonText.utf8)
            out.removeLast()  // the closing brace: the store's keys follow
        } else {
            out.append(UInt8(ascii: "{"))
            if let assignedId {
                out.append(contentsOf: #""id":"#.utf8)
                out.append(contentsOf: JSONValue.string(assignedId).jsonText.utf8)
            }
            // The row's own members, between its braces and without surrounding white space.
            var lower = Int(view.token(0).start) + 1
            var upper = Int(view.token(0).end) - 1
            while lower < upper, Self.isSpace(view.bytes[lower]) { lower += 1 }
            while upper > lower, Self.isSpace(view.bytes[upper - 1]) { upper -= 1 }
            if lower < upper {
                if assignedId != nil { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: view.bytes[lower..<upper]))
            }
        }
        let empty = out.count == start + 1
        let tail = out.count
        if !present(.team) { out.append(contentsOf: plan.team) }
        if !present(.table) { out.append(contentsOf: plan.table) }
        if !present(.package) { out.append(contentsOf: plan.package) }
        if !present(.accountExecutive) { out.append(contentsOf: Self.accountExecutiveNull) }
        if !present(.serviceRep) { out.append(contentsOf: Self.serviceRepNull) }
        if !present(.shared) { out.append(contentsOf: Self.sharedEmpty) }
        if !present(.tags) { out.append(contentsOf: Self.tagsEmpty) }
        out.append(contentsOf: suffix)
        if empty { out.remove(at: tail) }  // an empty object: no comma before the first key
        return true
    }

    @inline(__always) private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
    }

    /// Whether normalising would leave the string at `i` as it is. Plain ASCII is
    /// decided on the bytes; anything else goes through `Normalizer`.
    static func isNormalized(_ view: JSONView, _ i: Int, _ how: Normalization) -> Bool {
        let token = view.token(i)
        let bytes = view.raw(i)
        guard !token.escaped, bytes.allSatisfy({ $0 < 0x80 }) else {
            let value = view.string(i)
            return Normalizer.normalize(value, how) == value
        }
        // ASCII white space, as `trimmingWhitespace` sees it.
        func space(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        if let first = bytes.first, space(first) || space(bytes.last!) { return false }
        switch how {
        case .trim:
            return true
        case .lowercase:
            return !bytes.contains { (0x41...0x5A).contains($0) }
        case .digits:
            return bytes.enumerated().allSatisfy { k, b in
                (0x30...0x39).contains(b) || (k == 0 && b == UInt8(ascii: "+"))
            }
        case .url:
            let value = view.string(i)
            return Normalizer.normalize(value, how) == value
        }
    }
}
