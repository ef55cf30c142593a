import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Validates the `fields` of records of one (team, table, package): which fields
/// exist there, their types and refinements, required values and relate paths.
package final class CustomerValidator: Sendable {
    package let team: String
    package let table: TableKind
    package let package: String?
    package let fields: [Field]
    /// The identities of the fields the schema hides (`hidden: true`).
    package let hiddenIdentities: Set<String>
    let checks: [FieldValueCheck]
    /// The same checks, unretained: the validator keeps them alive, and skipping
    /// retain/release per field is a measurable share of validating a record.
    let uncounted: [Unmanaged<FieldValueCheck>]
    /// Relate trees as hash tables, by field index.
    let trees: [CompiledRelateTree?]
    /// identity -> slot; a relate field has one slot per level.
    let slots: ByteKeyTable
    let slotCheck: [Int]
    let slotLevel: [Int]
    let slotIdentity: [String]
    let requiredChecks: [Int]
    let relateChecks: [Int]
    /// The slots of each field's identities, by field index.
    let fieldSlots: [[Int]]
    /// Main-table fields this package did not inherit, for a clearer message.
    let notInherited: [String: Field]
    /// The related kind whose records it validates (nil for customers).
    package let kind: String?

    convenience init(
        team: String, table: TableKind, package: String?, schema: CustomerSchema, inheritance: PackageInheritance
    ) {
        let fields = schema.fields(team: team, table: table, package: package, inheritance: inheritance)
        var missing: [String: Field] = [:]
        if package != nil {
            let present = Set(fields.flatMap(\.identities))
            for field in schema.customizations
            where field.team == team && field.table == table && field.origin == .mainTable {
                for identity in field.identities where !present.contains(identity) { missing[identity] = field }
            }
        }
        self.init(team: team, table: table, package: package, kind: nil, fields: fields, notInherited: missing)
    }

    /// Validates the fields of a related kind's records.
    package convenience init(kind: RelatedKind) {
        self.init(
            team: kind.team, table: kind.parents.first ?? .individual, package: nil, kind: kind.id,
            fields: kind.fields, notInherited: [:])
    }

    private init(
        team: String, table: TableKind, package: String?, kind: String?, fields: [Field], notInherited: [String: Field]
    ) {
        self.team = team
        self.table = table
        self.package = package
        self.kind = kind
        self.notInherited = notInherited
        self.fields = fields
        hiddenIdentities = Set(fields.filter(\.hidden).flatMap(\.identities))
        let checks = fields.map(FieldValueCheck.init)
        self.checks = checks
        uncounted = checks.map { Unmanaged.passUnretained($0) }
        trees = fields.map { $0.spec.tree.map(CompiledRelateTree.init) }
        var pairs: [(String, Int)] = []
        var slotCheck: [Int] = []
        var slotLevel: [Int] = []
        var slotIdentity: [String] = []
        for (k, field) in fields.enumerated() {
            for (level, identity) in field.identities.enumerated() {
                pairs.append((identity, slotCheck.count))
                slotCheck.append(k)
                slotLevel.append(level)
                slotIdentity.append(identity)
            }
        }
        slots = ByteKeyTable(pairs)
        self.slotCheck = slotCheck
        self.slotLevel = slotLevel
        self.slotIdentity = slotIdentity
        var fieldSlots = [[Int]](repeating: [], count: fields.count)
        for (slot, k) in slotCheck.enumerated() { fieldSlots[k].append(slot) }
        self.fieldSlots = fieldSlots
        // A required field with a default is filled in when a record leaves it out.
        requiredChecks = fields.indices.filter { fields[$0].required && fields[$0].defaultValue == nil }
        relateChecks = fields.indices.filter { fields[$0].spec.base == .relate }
    }

    package var slotCount: Int { slotCheck.count }

    /// The problems of a record's `fields` (a JSON object), each with its column.
    package func problems(inFields fields: JSONValue) -> [RecordProblem] {
        guard case .object = fields else {
            return [RecordProblem(column: "fields", message: "fields must be an object of field values")]
        }
        let bytes = Array(fields.jsonText.utf8)
        var problems: [RecordProblem] = []
        bytes.withUnsafeBufferPointer { b in
            var tape = JSONTape()
            guard (try? tape.parse(b)) != nil else { return }
            var scratch: [Int32] = []
            tape.withView(bytes: b) { validate($0, fieldsObject: 0, scratch: &scratch, problems: &problems) }
        }
        return problems
    }

    /// "package 'spring'", "the individual table of team 'sales'" or "related kind 'contacts'".
    package var place: String {
        if let kind { return "related kind '\(kind)'" }
        return package.map { "package '\($0)'" } ?? "the \(table.rawValue) table of team '\(team)'"
    }

    /// Validates the `fields` object at `object` (or no fields at all when nil).
    func validate(_ view: JSONView, fieldsObject object: Int?, scratch: inout [Int32], problems: inout [RecordProblem])
    {
        if scratch.count < slotCheck.count { scratch = [Int32](repeating: -1, count: slotCheck.count) }
        scratch.withUnsafeMutableBufferPointer {
            validate(view, fieldsObject: object, scratch: $0, problems: &problems)
        }
    }

    private func validate(
        _ view: JSONView, fieldsObject object: Int?, scratch: UnsafeMutableBufferPointer<Int32>,
        problems: inout [RecordProblem]
    ) {
        for s in 0..<slotCheck.count { scratch[s] = -1 }
        if let object {
            var j = object + 1
            let end = view.next(object)
            while j < end {
                let valueIndex = j + 1
                defer { j = view.next(valueIndex) }
                guard let slot = view.withString(j, { slots.lookup($0) }) else {
                    problems.append(unknownField(view.string(j)))
                    continue
                }
                if scratch[slot] >= 0 {
                    problems.append(
                        RecordProblem(
                            column: slotIdentity[slot], message: "field '\(slotIdentity[slot])' is given twice"))
                    continue
                }
                scratch[slot] = Int32(valueIndex)
                guard FieldValueCheck.isGiven(view, valueIndex) else { continue }
                if let message = uncounted[slotCheck[slot]]._withUnsafeGuaranteedRef({ $0.check(view, valueIndex) }) {
                    problems.append(RecordProblem(column: slotIdentity[slot], message: message))
                }
            }
        }
        for k in relateChecks { checkRelate(k, view, scratch, &problems) }
        for k in requiredChecks {
            for slot in fieldSlots[k] {
                let index = Int(scratch[slot])
                if index < 0 || !FieldValueCheck.isGiven(view, index) {
                    problems.append(
                        RecordProblem(column: slotIdentity[slot], message: "\(fields[k].label) is required"))
                    break
                }
            }
        }
    }

    private func unknownField(_ name: String) -> RecordProblem {
        if let field = notInherited[name] {
            return RecordProblem(
                column: name,
                message:
                    "\(place) has no field '\(name)': the main-table field \(field.label) was added after the package was created, so the package did not inherit it"
            )
        }
        return RecordProblem(
            column: name, message: "\(place) has no field '\(name)'\(Suggestion.didYouMean(name, in: slotIdentity))")
    }

    /// A relate value is a path of the tree: each given level under the one before,
    /// with no level skipped.
    private func checkRelate(
        _ k: Int, _ view: JSONView, _ scratch: UnsafeMutableBufferPointer<Int32>, _ problems: inout [RecordProblem]
    ) {
        guard let tree = trees[k] else { return }
        var node = 0
        var given = 0
        for slot in fieldSlots[k] {
            let index = Int(scratch[slot])
            guard index >= 0, FieldValueCheck.isGiven(view, index), view.kind(index) == .string,
                let child = view.withString(index, { tree.child(of: node, named: $0) })
            else { break }
            node = child
            given += 1
        }
        if given == fieldSlots[k].count { return }
        describeRelateProblem(k, view, scratch, &problems)
    }

    /// The slow path: says which level of a relate value is wrong.
    private func describeRelateProblem(
        _ k: Int, _ view: JSONView, _ scratch: UnsafeMutableBufferPointer<Int32>, _ problems: inout [RecordProblem]
    ) {
        let field = fields[k]
        guard let tree = field.spec.tree else { return }
        var node = tree
        var path: [String] = []
        for (level, identity) in field.identities.enumerated() {
            let slot = fieldSlots[k][level]
            let index = Int(scratch[slot])
            let display = field.displays.indices.contains(level) ? field.displays[level] : identity
            let label = display == identity ? "'\(identity)'" : "'\(identity)' (\(display))"
            guard index >= 0, FieldValueCheck.isGiven(view, index) else {
                // Nothing more may follow a missing level.
                for (laterLevel, later) in field.identities.enumerated() where laterLevel > level {
                    let laterIndex = Int(scratch[fieldSlots[k][laterLevel]])
                    if laterIndex >= 0, FieldValueCheck.isGiven(view, laterIndex) {
                        problems.append(RecordProblem(column: later, message: "'\(later)' is given without \(label)"))
                        return
                    }
                }
                return
            }
            guard view.kind(index) == .string else {
                problems.append(
                    RecordProblem(column: identity, message: "\(label) expects text, got \(Shown.value(view, index))"))
                return
            }
            let value = view.string(index)
            guard let child = node.children[value] else {
                let parent = path.last.map { " of \($0)" } ?? ""
                problems.append(
                    RecordProblem(
                        column: identity,
                        message:
                            "\(label) expects a \(field.spec.levels.indices.contains(level) ? field.spec.levels[level] : display)\(parent) (\(Shown.list(node.order, limit: 8))), got \(Shown.text(value))"
                    ))
                return
            }
            path.append(value)
            node = child
        }
    }
}

/// A relate tree as one hash table per node, so a path is checked from bytes.
final class CompiledRelateTree: Sendable {
    /// node -> (name -> child node); node 0 is the root.
    let tables: [ByteKeyTable]

    init(_ tree: RelateTree) {
        var tables: [ByteKeyTable] = []
        func add(_ t: RelateTree) -> Int {
            let index = tables.count
            tables.append(ByteKeyTable([]))
            var pairs: [(String, Int)] = []
            for name in t.order { pairs.append((name, add(t.children[name]!))) }
            tables[index] = ByteKeyTable(pairs)
            return index
        }
        _ = add(tree)
        self.tables = tables
    }

    @inline(__always) func child(of node: Int, named name: UnsafeBufferPointer<UInt8>) -> Int? {
        tables[node].lookup(name)
    }
}
