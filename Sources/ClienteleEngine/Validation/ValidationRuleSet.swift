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
        for rule in model.validationRules {
            compiler.customerOnly = "a validation rule"
            guard
                let condition = compiler.compileCondition(
                    rule.when, what: "'when' of validation rule '\(rule.id)'", files: files, diagnostics: diagnostics)
            else { continue }
            rules.append(Compiled(rule: rule, condition: condition))
        }
        if diagnostics.hasErrors { return (nil, diagnostics.diagnostics) }
        return (
            ValidationRuleSet(rules: rules, org: policy.org, fieldIdentities: compiler.fieldOrder),
            diagnostics.diagnostics
        )
    }

    /// The rules that refuse the record at `root`, read as a record of `team`, `table`
    /// and `package` (which a row may leave to the command). `now` is what `now` and
    /// `days_since` read.
    package func broken(
        _ view: JSONView, root: Int, team: String, table: TableKind, package: String?, now: Double
    ) -> [ValidationRule] {
        let covering = rules.filter { $0.rule.covers(team: team, table: table, package: package) }
        guard !covering.isEmpty else { return [] }
        let row = CustomerTable(org: org, fieldIdentities: fieldIdentities)
        let placement = CustomerTable.Placement(
            team: org.team(team).map(Int32.init) ?? -1, table: table,
            package: package.flatMap { org.package($0) }.map(Int32.init) ?? -1)
        guard row.addRecord(view, root: root, placement: placement) else { return [] }
        let context = AccessContext(user: 0, customer: 0, customers: row, now: now)
        return covering.filter { $0.condition(context) }.map(\.rule)
    }

    /// The problem a broken rule makes: its message, at the column of its first field.
    package static func problem(_ rule: ValidationRule) -> RecordProblem {
        RecordProblem(column: rule.fields.first ?? "", message: "\(rule.message) (validation rule '\(rule.id)')")
    }
}
