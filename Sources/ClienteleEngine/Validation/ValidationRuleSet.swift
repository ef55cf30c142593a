import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// The config's `validation_rules`, compiled in the rules' expression language over
/// the customer alone: a record of a table or package a rule covers is refused, with
/// the rule's message, when its `when` holds.
package struct ValidationRuleSet: Sendable {
    struct Compiled: Sendable {
        let rule: ValidationRule
        let condition: Condition
    }

    let rules: [Compiled]
    let org: OrgIndex
    /// The field slots a record is read into: the access rules' fields, then the rules' own.
    let fieldIdentities: [String]

    package var isEmpty: Bool { rules.isEmpty }

    /// The same rules, but only those named.
    package func only(_ ids: Set<String>) -> ValidationRuleSet {
        ValidationRuleSet(rules: rules.filter { ids.contains($0.rule.id) }, org: org, fieldIdentities: fieldIdentities)
    }

    /// Compiles every rule's `when`; a rule that does not check (or reads the user) is
    /// reported at its location.
    package static func build(_ model: Model, policy: AccessPolicy, files: SourceFiles) -> (
        rules: ValidationRuleSet?, diagnostics: [Diagnostic]
    ) {
        let diagnostics = DiagnosticCollector()
        let compiler = ExpressionCompiler(
            environment: policy.environment, model: model, fieldOrder: policy.fieldIdentities)
        var rules: [Compiled] = []
        compiler.customerOnly = "a validation rule"
        for rule in model.validationRules {
            compiler.resetFieldsRead()
            guard
                let condition = compiler.compileCondition(
                    rule.when, what: "'when' of validation rule '\(rule.id)'", files: files, diagnostics: diagnostics)
            else { continue }
            rules.append(Compiled(rule: rule, condition: condition))
            warnOfHiddenFields(rule, reads: compiler.fieldsRead, model: model, diagnostics: diagnostics)
        }
        if diagnostics.hasErrors { return (nil, diagnostics.diagnostics) }
        return (
            ValidationRuleSet(rules: rules, org: policy.org, fieldIdentities: compiler.fieldOrder),
            diagnostics.diagnostics
        )
    }

    /// A refusal tells whoever writes the record that the rule's condition holds: a rule
    /// over a field that a field rule keeps from some users tells them something of it.
    static func warnOfHiddenFields(
        _ rule: ValidationRule, reads: Set<String>, model: Model, diagnostics: DiagnosticCollector
    ) {
        for field in reads.sorted() {
            let keeping = model.fieldRules.filter { r in
                (r.table == nil || r.table == rule.table) && (r.team == nil || rule.team == nil || r.team == rule.team)
                    && ((r.read.map { !$0.contains(field) } ?? false) || r.mask.contains { $0.field == field })
            }
            guard let first = keeping.first else { continue }
            diagnostics.warning(
                "validation rule '\(rule.id)' reads '\(field)', which \(first.id.map { "field rule '\($0)'" } ?? "a field rule") keeps from some users: when it refuses a record, it tells whoever writes it that its condition holds",
                at: rule.when.location)
        }
    }

    /// The rules that refuse the record at `root`, read as a record of `team`, `table`
    /// and `package` (which a row may leave to the command), with the defaults of
    /// `fields` filled in where it leaves them out, as they will be stored. `now` is what
    /// `now` and `days_since` read.
    package func broken(
        _ view: JSONView, root: Int, team: String, table: TableKind, package: String?, fields: [Field] = [],
        now: Double
    ) -> [ValidationRule] {
        let covering = rules.filter { $0.rule.covers(team: team, table: table, package: package) }
        guard !covering.isEmpty else { return [] }
        let row = CustomerTable(org: org, fieldIdentities: fieldIdentities)
        let placement = CustomerTable.Placement(
            team: org.team(team).map(Int32.init) ?? -1, table: table,
            package: package.flatMap { org.package($0) }.map(Int32.init) ?? -1)
        guard row.addRecord(view, root: root, placement: placement) else { return [] }
        for field in fields where field.identities.count == 1 {
            guard let value = field.defaultValue, let slot = fieldIdentities.firstIndex(of: field.identity),
                case .null = row.fields[slot][0]
            else { continue }
            row.fields[slot][0] = Self.fieldValue(value)
        }
        let context = AccessContext(user: 0, customer: 0, customers: row, now: now)
        return covering.filter { $0.condition(context) }.map(\.rule)
    }

    static func fieldValue(_ value: JSONValue) -> CustomerTable.FieldValue {
        switch value {
        case .string(let s): return .string(s)
        case .number(let n): return .number(Double(n) ?? 0)
        case .bool(let b): return .bool(b)
        case .array(let items): return .strings(items.compactMap(\.stringValue))
        default: return .null
        }
    }

    /// The problem a broken rule makes: its message, at the column of its first field.
    package static func problem(_ rule: ValidationRule) -> RecordProblem {
        RecordProblem(column: rule.fields.first ?? "", message: "\(rule.message) (validation rule '\(rule.id)')")
    }
}
