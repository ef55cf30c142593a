import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// The keys under which a customer's values of `unique` fields are compared: one per
/// unique field with a value, scoped to the field's table or package, normalised as
/// `normalize:` says (the same keys `import` compares the rows of a file with). Beside
/// them, the keys the matching rules (`duplicates:`) file a customer under, so that a
/// new customer finds the stored ones it matches without a pass over every document,
/// and the cells of the location grid a customer lies in (`GeoGrid`), so that
/// `customer list --near` reads the customers of a few cells.
package struct UniqueKeys: Sendable {
    /// The fields that place a customer on the map: latitude, then longitude.
    package static let locationFields = ("billingLat", "billingLng")

    package let records: RecordValidator
    /// The matching rules.
    package let duplicates: [DuplicateRule]
    /// The unique fields and the matching rules, each with its place and normalisation:
    /// what the stored keys were made for.
    package let layout: String
    /// By validator: the matching rules that cover its customers, with the normalisation
    /// of each matched field.
    let covering: [[(rule: Int, normalizations: [Normalization])]]
    /// By validator: whether its customers have the location fields.
    let locating: [Bool]

    package init(records: RecordValidator, duplicates: [DuplicateRule] = []) {
        self.records = records
        self.duplicates = duplicates
        var lines: [String] = []
        var covering: [[(rule: Int, normalizations: [Normalization])]] = []
        var locating: [Bool] = []
        var isEmpty = true
        for validator in records.validators {
            let located = Self.hasLocation(validator.fields)
            locating.append(located)
            if located {
                lines.append(
                    "location\u{0}\(validator.place)\u{0}\(Self.locationFields.0),\(Self.locationFields.1)\u{0}\(GeoGrid.levels.map(String.init).joined(separator: ","))"
                )
            }
            for field in validator.fields where field.unique {
                lines.append("\(validator.place)\u{0}\(field.identity)\u{0}\(String(describing: field.spec.normalize))")
            }
            if validator.fields.contains(where: \.unique) { isEmpty = false }
            var rules: [(rule: Int, normalizations: [Normalization])] = []
            for (r, rule) in duplicates.enumerated()
            where rule.covers(team: validator.team, table: validator.table, package: validator.package) {
                let normalizations = rule.match.map { identity in
                    rule.normalize ?? validator.fields.first { $0.identities.contains(identity) }?.spec.normalize
                        ?? (rule.fuzzy == nil ? .trim : .lowercase)
                }
                rules.append((r, normalizations))
                lines.append(
                    "duplicate\u{0}\(rule.id)\u{0}\(validator.place)\u{0}\(rule.match.joined(separator: ","))\u{0}\(normalizations.map(\.rawValue).joined(separator: ","))\u{0}\(rule.fuzzy == nil ? "equal" : "alike")"
                )
            }
            covering.append(rules)
        }
        layout = lines.joined(separator: "\n")
        self.covering = covering
        self.locating = locating
        self.isEmpty = isEmpty
    }

    /// Whether the config has no unique field at all (then there is nothing to check).
    package let isEmpty: Bool

    /// Whether records with these fields have a place on the map.
    static func hasLocation(_ fields: [Field]) -> Bool {
        let decimal = { (identity: String) in
            fields.contains { $0.identity == identity && [.decimal, .integer].contains($0.spec.base) }
        }
        return decimal(locationFields.0) && decimal(locationFields.1)
    }

    /// A stored document's id and keys; nil when it cannot be read.
    package func keys(ofDocument bytes: UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])? {
        scan(bytes).map {
            ($0.id, $0.claims.map(\.key) + $0.matches.flatMap { $0.keys(duplicates[$0.rule]) } + $0.cells)
        }
    }

    /// A document's id, a claim (key and field) per unique value, and what each matching
    /// rule that covers it matches it by.
    func read(_ bytes: UnsafeBufferPointer<UInt8>) -> (
        id: String, claims: [ImportChecker.Claim], matches: [DuplicateKey]
    )? {
        scan(bytes).map { ($0.id, $0.claims, $0.matches) }
    }

    /// What `read` reads, and the cells of the location grid the customer lies in.
    private func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (
        id: String, claims: [ImportChecker.Claim], matches: [DuplicateKey], cells: [String]
    )? {
        var tape = JSONTape()
        guard (try? tape.parse(bytes)) != nil else { return nil }
        return tape.withView(bytes: bytes) {
            view -> (id: String, claims: [ImportChecker.Claim], matches: [DuplicateKey], cells: [String])? in
            guard view.kind(0) == .object else { return nil }
            var id: String?
            var team: String?
            var table: TableKind?
            var package: String?
            var fields: Int?
            var j = 1
            while j < view.next(0) {
                switch view.kind(j + 1) {
                case .string:
                    if view.stringEquals(j, "id") {
                        id = view.string(j + 1)
                    } else if view.stringEquals(j, "team") {
                        team = view.string(j + 1)
                    } else if view.stringEquals(j, "table") {
                        table = TableKind(rawValue: view.string(j + 1))
                    } else if view.stringEquals(j, "package") {
                        package = view.string(j + 1)
                    }
                case .object:
                    if view.stringEquals(j, "fields") { fields = j + 1 }
                default: break
                }
                j = view.next(j + 1)
            }
            guard let id, let team, let table, let fields,
                let validator = records.validatorIndex(team: team, table: table, package: package)
            else { return nil }
            var claims: [ImportChecker.Claim] = []
            ImportChecker.uniqueClaims(
                view, fields: fields, validator: validator, records: records, line: 0, id: id, into: &claims)
            let cells =
                locating[validator]
                ? Self.location(view, fields: fields).map { GeoGrid.keys(lat: $0.lat, lng: $0.lng) } ?? [] : []
            return (id, claims, matchKeys(view, fields: fields, rules: covering[validator]), cells)
        }
    }

    static let latitudeBytes = Array(locationFields.0.utf8)
    static let longitudeBytes = Array(locationFields.1.utf8)

    /// The customer's latitude and longitude, when it has both (as numbers).
    package static func location(_ view: JSONView, fields: Int) -> (lat: Double, lng: Double)? {
        var lat: Double?
        var lng: Double?
        var f = fields + 1
        while f < view.next(fields) {
            if view.kind(f + 1) == .number {
                if view.withString(f, { $0.elementsEqual(latitudeBytes) }) {
                    lat = ValueFormats.double(view.raw(f + 1))
                } else if view.withString(f, { $0.elementsEqual(longitudeBytes) }) {
                    lng = ValueFormats.double(view.raw(f + 1))
                }
            }
            f = view.next(f + 1)
        }
        guard let lat, let lng, lat.isFinite, lng.isFinite else { return nil }
        return (lat, lng)
    }

    /// The values each rule of `rules` matches the customer by (normalised), where it has them all.
    private func matchKeys(_ view: JSONView, fields: Int, rules: [(rule: Int, normalizations: [Normalization])])
        -> [DuplicateKey]
    {
        guard !rules.isEmpty else { return [] }
        var texts: [String: String] = [:]
        var f = fields + 1
        while f < view.next(fields) {
            let name = view.string(f)
            if rules.contains(where: { duplicates[$0.rule].match.contains(name) }) {
                texts[name] = CustomerOperations.text(view.value(f + 1))
            }
            f = view.next(f + 1)
        }
        var keys: [DuplicateKey] = []
        for (r, normalizations) in rules {
            var values: [String] = []
            for (identity, how) in zip(duplicates[r].match, normalizations) {
                guard let text = texts[identity], let value = DuplicateKey.value(text, how) else { break }
                values.append(value)
            }
            if values.count == normalizations.count { keys.append(DuplicateKey(rule: r, values: values)) }
        }
        return keys
    }
}

/// What a matching rule matches one customer by: its normalised values.
struct DuplicateKey: Sendable {
    /// The rule's place in `UniqueKeys.duplicates`.
    let rule: Int
    let values: [String]

    /// The values as one text, compared by edit distance for a fuzzy rule.
    var text: [Unicode.Scalar] { Array(values.joined(separator: " ").unicodeScalars) }

    /// A value as a matching rule compares it: normalised, in composed form (é written
    /// as one character or two is one value), without invisible format characters
    /// (zero-width spaces, direction marks); nil when nothing is left to compare (no
    /// digit at all, for `digits`).
    static func value(_ text: String, _ how: Normalization) -> String? {
        var value = Normalizer.normalize(text, how)
        if !value.utf8.allSatisfy({ $0 < 0x80 }) {
            var scalars = String.UnicodeScalarView()
            scalars.append(
                contentsOf: value.precomposedStringWithCanonicalMapping.unicodeScalars.filter {
                    $0.properties.generalCategory != .format
                })
            value = String(scalars)
        }
        guard !value.isEmpty, how != .digits || value.contains(where: \.isNumber) else { return nil }
        return value
    }

    /// Whether an index key is a matching rule's or a location cell's (not a unique value's).
    static func isMatchKey(_ key: String) -> Bool {
        key.hasPrefix("=") || key.hasPrefix("~") || GeoGrid.isCellKey(key)
    }

    /// The lengths of the blocks a fuzzy rule files a customer under: its first 3
    /// characters, and its first 8 (a narrower block, for when the first is crowded).
    static let blockLengths = [3, 8]

    /// The keys in the store's index: the values themselves for an exact rule; for a
    /// fuzzy one, a key per block length.
    func keys(_ rule: DuplicateRule) -> [String] {
        rule.fuzzy == nil ? [exactKey(rule)] : Self.blockLengths.map { block(rule, length: $0) }
    }

    func exactKey(_ rule: DuplicateRule) -> String {
        "=\u{0}\(rule.id)\u{0}\(values.joined(separator: "\u{1}"))"
    }

    /// The block of the customers whose text begins with the same `length` characters.
    func block(_ rule: DuplicateRule, length: Int) -> String {
        "~\(length)\u{0}\(rule.id)\u{0}\(String(String.UnicodeScalarView(text.prefix(length))))"
    }
}

/// The unique values the documents of one batch take: the store checks each document
/// against what it holds, this against the batch's other documents.
struct UniqueClaims {
    private var claimed: [String: (id: String, what: String)] = [:]

    /// Takes the unique values of `document`; one another document of the batch took is
    /// refused, naming `what` took it (a customer, a row).
    mutating func claim(_ document: JSONValue, id: String, unique: UniqueKeys, what: String) throws(OperationError) {
        guard !unique.isEmpty else { return }
        let bytes = Array(document.jsonText.utf8)
        guard let (_, claims, _) = bytes.withUnsafeBufferPointer({ unique.read($0) }) else { return }
        for claim in claims {
            if let earlier = claimed[claim.key], earlier.id != id {
                throw .conflict(["column \(claim.column): the value is already given to \(earlier.what) in this batch"])
            }
        }
        for claim in claims { claimed[claim.key] = (id, what) }
    }
}
