import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// The compiled access rules: decides, explains, and lists who can and what is visible.
package final class AccessPolicy: Sendable {
    /// A final class: copying a struct of closures and arrays per decision costs more than the decision.
    final class CompiledRule: Sendable {
        let rule: Rule
        let when: Condition
        let unless: Condition?
        let actions: Set<Action>
        let isDeny: Bool
        let granted: Bool
        /// Where the customers this rule can allow are found.
        let plan: CandidatePlan
        /// Where the customers its `when` can match are found, deny rules included
        /// (for comparing two policies that differ in a few rules).
        let reach: CandidatePlan
        /// The top-level conjuncts of `when`, compiled one by one, for explanations.
        let parts: [(syntax: Syntax, condition: Condition)]
        /// `allow: granted` with `when: permission_group`: the grant check is the whole condition.
        let onlyGroups: Bool

        init(
            rule: Rule, when: @escaping Condition, unless: Condition?, whenSyntax: Syntax?, actions: Set<Action>,
            isDeny: Bool,
            granted: Bool, plan: CandidatePlan, reach: CandidatePlan, parts: [(syntax: Syntax, condition: Condition)]
        ) {
            self.rule = rule
            self.when = when
            self.unless = unless
            self.actions = actions
            self.isDeny = isDeny
            self.granted = granted
            self.plan = plan
            self.reach = reach
            self.parts = parts
            if case .path(["permission_group"], _)? = whenSyntax { onlyGroups = granted } else { onlyGroups = false }
        }
    }

    let environment: AccessEnvironment
    let rules: [CompiledRule]
    /// Rule indexes per action (by `Action.ordinal`), in declaration order.
    let allowRules: [[Int]]
    let denyRules: [[Int]]
    /// Groups that grant each action.
    let groupsGranting: [[CompiledGroup]]
    /// The field identities rules read; a `CustomerTable` for this policy keeps these.
    package let fieldIdentities: [String]
    let fieldRules: [CompiledFieldRule]

    package var org: OrgIndex { environment.org }

    init(
        environment: AccessEnvironment, rules: [CompiledRule], fieldRules: [CompiledFieldRule],
        fieldIdentities: [String]
    ) {
        self.environment = environment
        self.fieldRules = fieldRules
        self.rules = rules
        self.fieldIdentities = fieldIdentities
        var allow = [[Int]](repeating: [], count: Action.allCases.count)
        var deny = allow
        for (k, r) in rules.enumerated() {
            for a in Action.allCases
            where r.granted ? environment.groups.contains(where: { $0.grants.contains(a) }) : r.actions.contains(a) {
                if r.isDeny { deny[a.ordinal].append(k) } else { allow[a.ordinal].append(k) }
            }
        }
        allowRules = allow
        denyRules = deny
        groupsGranting = Action.allCases.map { a in environment.groups.filter { $0.grants.contains(a) } }
    }

    /// An empty customer table that keeps what these rules read.
    package func makeCustomerTable() -> CustomerTable {
        CustomerTable(org: environment.org, fieldIdentities: fieldIdentities)
    }

    /// One customer document alone in a table, as the access engine sees it (row 0).
    package func customerTable(of document: JSONValue) -> CustomerTable {
        let table = makeCustomerTable()
        let bytes = Array(document.jsonText.utf8)
        _ = bytes.withUnsafeBufferPointer { table.addDocument($0) }
        return table
    }

    /// A `--where` expression over customers, compiled against the same model and
    /// field slots; its table must keep `filter.fieldIdentities` (which begin with the rules').
    package struct Filter: Sendable {
        package let condition: Condition
        /// The customer table's field slots: the rules' fields, then the filter's own.
        package let fieldIdentities: [String]
        /// The fields the filter itself reads (a reader must be allowed to read them).
        package let fieldsRead: Set<String>
    }

    package func filter(_ text: String, model: Model) throws(ExpressionError) -> Filter {
        do { return try filters([text], model: model)[0] } catch { throw error.error }
    }

    /// A filter that could not be compiled: the `index`th of those given.
    package struct FilterError: Error {
        package let index: Int
        package let error: ExpressionError
    }

    /// Several filters read from one customer table (their fields share its slots).
    package func filters(_ texts: [String], model: Model) throws(FilterError) -> [Filter] {
        let compiler = ExpressionCompiler(environment: environment, model: model, fieldOrder: fieldIdentities)
        var compiled: [(Condition, Set<String>)] = []
        for (index, text) in texts.enumerated() {
            do throws(ExpressionError) {
                compiler.resetFieldsRead()
                let syntax = try ExpressionParser.parse(text)
                let expression = try compiler.compile(syntax)
                guard expression.type == .bool else {
                    throw ExpressionError(
                        "--where must be true or false, but it is \(expression.type)", at: syntax.offset)
                }
                compiled.append((expression.condition, compiler.fieldsRead))
            } catch { throw FilterError(index: index, error: error) }
        }
        return compiled.map { Filter(condition: $0.0, fieldIdentities: compiler.fieldOrder, fieldsRead: $0.1) }
    }

    /// Type-checks the `where` of each saved list, reported at its place.
    package func checkLists(_ model: Model, files: SourceFiles) -> [Diagnostic] {
        let diagnostics = DiagnosticCollector()
        let compiler = ExpressionCompiler(environment: environment, model: model, fieldOrder: fieldIdentities)
        for list in model.lists {
            guard let filter = list.filter else { continue }
            _ = compiler.compileCondition(
                filter, what: "'where' of list '\(list.id)'", files: files, diagnostics: diagnostics)
        }
        return diagnostics.diagnostics
    }

    /// The outcome of one decision.
    package struct Decision: Sendable, Equatable {
        package enum Reason: Sendable, Equatable {
            case allowedBy(String)
            case deniedBy(String)
            case inactiveUser
            case noRuleAllows
        }
        package var allowed: Bool
        package var reason: Reason

        package var ruleId: String? {
            switch reason {
            case .allowedBy(let id), .deniedBy(let id): return id
            default: return nil
            }
        }
    }

    @inline(__always) func matches(_ k: Int, _ ctx: AccessContext, _ action: Action) -> Bool {
        let r = rules[k]
        if !r.onlyGroups, !r.when(ctx) { return false }
        if let unless = r.unless, unless(ctx) { return false }
        if r.granted {
            let org = environment.org
            for g in groupsGranting[action.ordinal] where g.isMember(ctx.user, org) && g.covers(ctx) { return true }
            return false
        }
        return true
    }

    /// Decides whether `user` may take `action` on `customer`. Deny by default; a
    /// matching deny beats every allow; inactive users are denied everything.
    package func decide(
        user: Int, action: Action, customer: Int, in customers: CustomerTable, now: Double = Timestamp.processStart
    ) -> Decision {
        guard environment.org.userActive[user] else { return Decision(allowed: false, reason: .inactiveUser) }
        let ctx = AccessContext(user: user, customer: customer, customers: customers, now: now)
        for k in denyRules[action.ordinal] where matches(k, ctx, action) {
            return Decision(allowed: false, reason: .deniedBy(rules[k].rule.id))
        }
        for k in allowRules[action.ordinal] where matches(k, ctx, action) {
            return Decision(allowed: true, reason: .allowedBy(rules[k].rule.id))
        }
        return Decision(allowed: false, reason: .noRuleAllows)
    }

    /// Only whether it is allowed, for bulk checks.
    @inline(__always)
    package func isAllowed(
        user: Int, action: Action, customer: Int, in customers: CustomerTable, now: Double = Timestamp.processStart
    ) -> Bool {
        guard environment.org.userActive[user] else { return false }
        let ctx = AccessContext(user: user, customer: customer, customers: customers, now: now)
        for k in denyRules[action.ordinal] where matches(k, ctx, action) { return false }
        for k in allowRules[action.ordinal] where matches(k, ctx, action) { return true }
        return false
    }

    /// Whether a deny rule matches (for candidates an exact plan already allows).
    @inline(__always)
    func isDenied(user: Int, action: Action, customer: Int, in customers: CustomerTable, now: Double) -> Bool {
        let ctx = AccessContext(user: user, customer: customer, customers: customers, now: now)
        for k in denyRules[action.ordinal] where matches(k, ctx, action) { return true }
        return false
    }

    package func rule(_ id: String) -> Rule? { rules.first { $0.rule.id == id }?.rule }

    /// Every user who may take `action` on `customer`, each with the deciding rule.
    package func whoCan(
        _ action: Action, customer: Int, in customers: CustomerTable, now: Double = Timestamp.processStart
    ) -> [(user: Int, rule: String)] {
        (0..<environment.org.userIds.count).compactMap { u in
            let d = decide(user: u, action: action, customer: customer, in: customers, now: now)
            return d.allowed ? (u, d.ruleId ?? "") : nil
        }
    }
}
