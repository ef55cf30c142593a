import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// The keys under which a customer's values of `unique` fields are compared: one per
/// unique field with a value, scoped to the field's table or package, normalised as
/// `normalize:` says (the same keys `import` compares the rows of a file with).
package struct UniqueKeys: Sendable {
    package let records: RecordValidator
    /// The unique fields, each with its place and normalisation: what the stored keys were made for.
    package let layout: String

    package init(records: RecordValidator) {
        self.records = records
        var lines: [String] = []
        for validator in records.validators {
            for field in validator.fields where field.unique {
                lines.append("\(validator.place)\u{0}\(field.identity)\u{0}\(String(describing: field.spec.normalize))")
            }
        }
        layout = lines.joined(separator: "\n")
    }

    /// Whether the config has no unique field at all (then there is nothing to check).
    package var isEmpty: Bool { layout.isEmpty }

    /// A stored document's id and keys; nil when it cannot be read.
    package func keys(ofDocument bytes: UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])? {
        read(bytes).map { ($0.id, $0.claims.map(\.key)) }
    }

    /// A document's id, and a claim (key and field) per unique value.
    func read(_ bytes: UnsafeBufferPointer<UInt8>) -> (id: String, claims: [ImportChecker.Claim])? {
        var tape = JSONTape()
        guard (try? tape.parse(bytes)) != nil else { return nil }
        return tape.withView(bytes: bytes) { view -> (id: String, claims: [ImportChecker.Claim])? in
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
            return (id, claims)
        }
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
        guard let (_, claims) = bytes.withUnsafeBufferPointer({ unique.read($0) }) else { return }
        for claim in claims {
            if let earlier = claimed[claim.key], earlier.id != id {
                throw .conflict(["column \(claim.column): the value is already given to \(earlier.what) in this batch"])
            }
        }
        for claim in claims { claimed[claim.key] = (id, what) }
    }
}
