import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Compiles the model's rules, group scopes and field-rule conditions into an
/// `AccessPolicy`, reporting every expression that does not parse or check.
package enum AccessPolicyBuilder {
    package static func build(_ model: Model, files: SourceFiles) -> (policy: AccessPolicy?, diagnostics: [Diagnostic])
    {
        let diagnostics = DiagnosticCollector()
        let org = OrgIndex(model)
        let environment = AccessEnvironment(model: model, org: org)
        let compiler = ExpressionCompiler(environment: environment, model: model)

        compiler.allowGroupPredicates = false
        for (group, compiled) in zip(model.permissionGroups, environment.groups) {
            guard let source = group.customerFilter else { continue }
            compiled.customerFilter = compiler.compileCondition(
                source, what: "'where' of permission group '\(group.id)'", files: files, diagnostics: diagnostics)
        }
        compiler.allowGroupPredicates = true

        var rules: [AccessPolicy.CompiledRule] = []
        for rule in model.rules {
            guard let whenSource = rule.when else { continue }
            let when = compiler.compileCondition(
                whenSource, what: "'when' of rule '\(rule.id)'", files: files, diagnostics: diagnostics)
            var unless: Condition?
            if let source = rule.unless {
                unless = compiler.compileCondition(
                    source, what: "'unless' of rule '\(rule.id)'", files: files, diagnostics: diagnostics)
                if unless == nil { continue }
            }
            guard let when else { continue }
            let actions: Set<Action>
            let isDeny: Bool
            let granted: Bool
            switch rule.effect {
            case .allow(let a): (actions, isDeny, granted) = (Set(a), false, false)
            case .deny(let a): (actions, isDeny, granted) = (Set(a), true, false)
            case .allowGranted: (actions, isDeny, granted) = ([], false, true)
            }
            let syntax = try? ExpressionParser.parse(whenSource.text)
            let reach = syntax.map(CandidatePlanner(compiler: compiler).plan) ?? .all
            let plan = isDeny ? CandidatePlan.none : reach
            let parts: [(syntax: Syntax, condition: Condition)] = (syntax.map(Self.conjuncts) ?? []).compactMap {
                part in
                (try? compiler.compile(part).condition).map { (part, $0) }
            }
            rules.append(
                .init(
                    rule: rule, when: when, unless: unless, whenSyntax: syntax,
                    actions: actions, isDeny: isDeny, granted: granted, plan: plan, reach: reach, parts: parts))
        }
        var fieldRules: [CompiledFieldRule] = []
        for fieldRule in model.fieldRules {
            var when: Condition?
            if let source = fieldRule.when {
                when = compiler.compileCondition(
                    source, what: "'when' of \(fieldRule.id.map { "field rule '\($0)'" } ?? "a field rule")",
                    files: files, diagnostics: diagnostics)
                if when == nil { continue }
            }
            fieldRules.append(CompiledFieldRule(fieldRule, org: org, when: when))
        }
        if diagnostics.hasErrors { return (nil, diagnostics.diagnostics) }
        return (
            AccessPolicy(
                environment: environment, rules: rules, fieldRules: fieldRules, fieldIdentities: compiler.fieldOrder),
            diagnostics.diagnostics
        )
    }

    static func conjuncts(_ s: Syntax) -> [Syntax] {
        if case .binary(.and, let l, let r, _) = s { return conjuncts(l) + conjuncts(r) }
        return [s]
    }
}
