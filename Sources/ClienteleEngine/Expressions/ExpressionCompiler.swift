import ClienteleCore
import ClienteleModel
import ClienteleSpec
import Foundation

/// Type-checks rule expressions against the model and compiles them to closures,
/// so that no syntax tree is walked when a decision is made.
final class ExpressionCompiler {
    let environment: AccessEnvironment
    let model: Model
    /// Field identities the rules read, in slot order (the customer table keeps these).
    private(set) var fieldOrder: [String]
    private var fieldSlot: [String: Int]
    /// Field identities this compiler's expressions read, whatever their slot.
    private(set) var fieldsRead: Set<String> = []
    /// identity -> the specs of every field with that identity
    private let fieldsByIdentity: [String: [(spec: FieldSpec, relateLevel: Bool)]]

    static let predicates = [
        "account_executive", "customer_service_rep", "shared", "follower", "permission_group",
        "in_permission_group", "in_editing_permission_group", "pool_admin", "pool_member", "in_pool",
    ]
    static let functions = ["manages", "in_department", "has", "days_since"]
    static let roots = ["user", "customer", "pool", "now"]
    static let userAttributes = [
        "id", "name", "teams", "department", "departments", "roles", "manager", "managers", "active",
    ]
    static let customerSystem =
        [
            "id", "team", "table", "package", "account_executive", "customer_service_rep", "shared",
            "followers", "tags", "pool", "previous_account_executive", "created_by",
        ] + CustomerTable.timeKeys

    /// `fieldOrder`: slots already taken (by the policy), so that a filter compiled
    /// later reads the same customer table as the rules.
    init(environment: AccessEnvironment, model: Model, fieldOrder: [String] = []) {
        self.environment = environment
        self.model = model
        self.fieldOrder = fieldOrder
        self.fieldSlot = Dictionary(uniqueKeysWithValues: fieldOrder.enumerated().map { ($1, $0) })
        var byIdentity: [String: [(spec: FieldSpec, relateLevel: Bool)]] = [:]
        let all = model.schema.standardFields.values.flatMap { $0 } + model.schema.customizations
        for field in all {
            for identity in field.identities {
                byIdentity[identity, default: []].append((field.spec, field.spec.base == .relate))
            }
        }
        fieldsByIdentity = byIdentity
    }

    var org: OrgIndex { environment.org }

    /// A compiled node: its type, a general evaluator, and for booleans a fast test.
    struct Compiled {
        var type: ExpressionType
        var value: @Sendable (AccessContext) -> Value
        var test: Condition?
        /// Set for literals, so comparisons can resolve them at compile time.
        var constant: Value?
        var offset: Int

        var condition: Condition {
            if let test { return test }
            let value = self.value
            return { if case .bool(true) = value($0) { return true } else { return false } }
        }
    }

    /// Where group predicates may appear (not inside a group's own `where`).
    var allowGroupPredicates = true
    /// What the expression is about when no user is asking (a validation rule reads the
    /// customer alone); nil where a user decides. Names it in the refusal of `user`.
    var customerOnly: String?

    /// What a record given to be validated holds besides its fields (an import row, an
    /// edit): the rest (owners, pools, followers, times) the store and the operations keep.
    static let recordKeys: Set<String> = ["id", "team", "table", "package", "tags"]

    /// Refuses, where the record alone is read, what the store keeps rather than the record.
    private func needsStoreKept(_ what: String, _ at: Int) throws(ExpressionError) {
        guard let customerOnly else { return }
        throw ExpressionError(
            "\(customerOnly) reads the record as it is written (its fields, id, team, table, package and tags), and \(what) is kept by the store and the operations",
            at: at)
    }

    /// Starts counting the fields read afresh (for one expression among several).
    func resetFieldsRead() { fieldsRead = [] }

    /// Refuses what depends on the user asking, where no user asks.
    private func needsUser(_ what: String, _ at: Int) throws(ExpressionError) {
        guard let customerOnly else { return }
        throw ExpressionError(
            "\(customerOnly) reads the customer alone, and \(what) depends on the user asking; write it over customer.FIELD",
            at: at)
    }

    /// Compiles a boolean expression; nil (with diagnostics) when it does not check.
    func compileCondition(
        _ source: ExpressionSource, what: String, files: SourceFiles, diagnostics: DiagnosticCollector
    ) -> Condition? {
        do throws(ExpressionError) {
            let syntax = try ExpressionParser.parse(source.text)
            let compiled = try compile(syntax)
            guard compiled.type == .bool else {
                throw ExpressionError("this must be true or false, but it is \(compiled.type)", at: syntax.offset)
            }
            return compiled.condition
        } catch {
            diagnostics.error("in \(what): \(error.message)", at: source.location(ofCharacter: error.offset, in: files))
            return nil
        }
    }

    // MARK: - Nodes

    func compile(_ syntax: Syntax) throws(ExpressionError) -> Compiled {
        switch syntax {
        case .literal(let literal, let at):
            return literalNode(literal, at)
        case .list(let items, let at):
            let compiled = try items.map { (item) throws(ExpressionError) -> Compiled in try compile(item) }
            var element: ExpressionType = .null
            for c in compiled where c.type != .null {
                if element == .null {
                    element = c.type
                } else if !Self.compatible(element, c.type) {
                    throw ExpressionError(
                        "a list must hold values of one kind, but it mixes \(element) and \(c.type)", at: c.offset)
                }
            }
            let evaluators = compiled.map(\.value)
            let constant: Value? =
                compiled.allSatisfy { $0.constant != nil } ? .list(compiled.map { $0.constant! }) : nil
            return Compiled(
                type: .list(element), value: { ctx in .list(evaluators.map { $0(ctx) }) }, constant: constant,
                offset: at)
        case .not(let inner, let at):
            let c = try compile(inner)
            guard c.type == .bool else {
                throw ExpressionError("'not' needs true or false, but this is \(c.type)", at: inner.offset)
            }
            let test = c.condition
            return boolNode({ !test($0) }, at)
        case .binary(let op, let lhs, let rhs, let at):
            return try binary(op, lhs, rhs, at)
        case .path(let path, let at):
            return try pathNode(path, at)
        case .call(let name, let arguments, let at):
            return try call(name, arguments, at)
        }
    }

    private func boolNode(_ test: @escaping Condition, _ at: Int) -> Compiled {
        Compiled(type: .bool, value: { .bool(test($0)) }, test: test, offset: at)
    }

    private func literalNode(_ literal: Syntax.Literal, _ at: Int) -> Compiled {
        let value: Value
        let type: ExpressionType
        switch literal {
        case .string(let s): (value, type) = (.text(s), .text(.free))
        case .number(let n): (value, type) = (.number(n), .number)
        case .duration(let d, _): (value, type) = (.number(d), .duration)
        case .bool(let b): (value, type) = (.bool(b), .bool)
        case .null: (value, type) = (.null, .null)
        }
        if case .bool(let b) = value {
            return Compiled(type: .bool, value: { _ in value }, test: { _ in b }, constant: value, offset: at)
        }
        return Compiled(type: type, value: { _ in value }, constant: value, offset: at)
    }

    // MARK: - Paths

    private func pathNode(_ path: [String], _ at: Int) throws(ExpressionError) -> Compiled {
        let org = self.org
        switch path[0] {
        case "user":
            try needsUser("'user'", at)
            guard path.count == 2 else {
                throw ExpressionError(
                    path.count == 1
                        ? "'user' needs an attribute: user.\(Self.userAttributes.joined(separator: ", user."))"
                        : "user.\(path[1]) has no attribute '\(path[2])'", at: at)
            }
            switch path[1] {
            case "id": return Compiled(type: .text(.user), value: { .id(Int32($0.user)) }, offset: at)
            case "name":
                return Compiled(
                    type: .text(.free), value: { [model] in .text(model.organization.users[$0.user].name ?? "") },
                    offset: at)
            case "teams":
                return Compiled(
                    type: .list(.text(.team)),
                    value: { ctx in
                        .list(
                            (0..<org.teamIds.count).filter { org.userTeams[ctx.user].contains($0) }.map {
                                .id(Int32($0))
                            })
                    }, offset: at)
            case "department":
                return Compiled(
                    type: .text(.department),
                    value: { ctx in org.userDepartment[ctx.user] < 0 ? .null : .id(org.userDepartment[ctx.user]) },
                    offset: at)
            case "departments":
                return Compiled(
                    type: .list(.text(.department)), value: { .list(org.userDepartments[$0.user].map { .id($0) }) },
                    offset: at)
            case "roles":
                return Compiled(
                    type: .list(.text(.role)), value: { .list(org.userRoleList[$0.user].map { .id($0) }) }, offset: at)
            case "manager":
                return Compiled(
                    type: .text(.user), value: { org.userManager[$0.user] < 0 ? .null : .id(org.userManager[$0.user]) },
                    offset: at)
            case "managers":
                return Compiled(
                    type: .list(.text(.user)), value: { .list(org.userManagerChain[$0.user].map { .id($0) }) },
                    offset: at)
            case "active": return boolNode({ org.userActive[$0.user] }, at)
            default:
                throw ExpressionError(
                    "user has no attribute '\(path[1])'\(Suggestion.hint(path[1], in: Self.userAttributes, listing: "attributes"))",
                    at: at)
            }
        case "customer":
            guard path.count >= 2 else {
                throw ExpressionError(
                    "'customer' needs an attribute, such as customer.account_executive or customer.level", at: at)
            }
            return try customerPath(Array(path.dropFirst()), at)
        case "pool":
            if path.count == 1 || (path.count == 2 && path[1] == "id") { return try customerPath(["pool"], at) }
            throw ExpressionError("pool has no attribute '\(path[1])'; write pool or pool.id", at: at)
        case "now":
            guard path.count == 1 else { throw ExpressionError("'now' has no attributes", at: at) }
            return Compiled(type: .datetime, value: { .number($0.now) }, offset: at)
        default:
            guard path.count == 1 else {
                throw ExpressionError(
                    "unknown name '\(path[0])'\(Suggestion.hint(path[0], in: Self.roots, listing: "values"))", at: at)
            }
            return try predicate(path[0], at)
        }
    }

    private func customerPath(_ path: [String], _ at: Int) throws(ExpressionError) -> Compiled {
        let name = path[0]
        func entity(_ column: @escaping @Sendable (CustomerTable, Int) -> Int32, _ domain: ExpressionType.Domain)
            -> Compiled
        {
            Compiled(
                type: .text(domain),
                value: { ctx in
                    let v = column(ctx.customers, ctx.customer)
                    return v < 0 ? .null : .id(v)
                }, offset: at)
        }
        if path.count > 1 && name != "shared" {
            throw ExpressionError("customer.\(name) has no attribute '\(path[1])'", at: at)
        }
        if Self.customerSystem.contains(name), !Self.recordKeys.contains(name) {
            try needsStoreKept("customer.\(name)", at)
        }
        switch name {
        case "id": return Compiled(type: .text(.free), value: { .text($0.customers.ids[$0.customer]) }, offset: at)
        case "team": return entity({ $0.team[$1] }, .team)
        case "table":
            return Compiled(
                type: .text(.table), value: { .text($0.customers.tableKind($0.customer).rawValue) }, offset: at)
        case "package": return entity({ $0.package[$1] }, .package)
        case "account_executive": return entity({ $0.accountExecutive[$1] }, .user)
        case "customer_service_rep": return entity({ $0.serviceRep[$1] }, .user)
        case "previous_account_executive": return entity({ $0.previousAccountExecutive[$1] }, .user)
        case "created_by": return entity({ _, _ in -1 }, .user)
        case "pool": return entity({ $0.pool[$1] }, .pool)
        case "followers":
            return Compiled(
                type: .list(.text(.user)), value: { .list($0.customers.followers.items($0.customer).map { .id($0) }) },
                offset: at)
        case "tags":
            return Compiled(
                type: .list(.text(.tag)), value: { .list($0.customers.tags.items($0.customer).map { .text($0) }) },
                offset: at)
        case "shared":
            guard path.count == 2 else {
                throw ExpressionError(
                    "write customer.shared.users, customer.shared.departments or customer.shared.roles (or the predicate 'shared')",
                    at: at)
            }
            switch path[1] {
            case "users":
                return Compiled(
                    type: .list(.text(.user)),
                    value: { .list($0.customers.sharedUsers.items($0.customer).map { .id($0) }) }, offset: at)
            case "departments":
                return Compiled(
                    type: .list(.text(.department)),
                    value: { .list($0.customers.sharedDepartments.items($0.customer).map { .id($0) }) }, offset: at)
            case "roles":
                return Compiled(
                    type: .list(.text(.role)),
                    value: { .list($0.customers.sharedRoles.items($0.customer).map { .id($0) }) }, offset: at)
            default: throw ExpressionError("customer.shared has users, departments and roles, not '\(path[1])'", at: at)
            }
        default:
            if let k = CustomerTable.timeKeys.firstIndex(of: name) {
                return Compiled(
                    type: .datetime,
                    value: { ctx in
                        let t = ctx.customers.times[k][ctx.customer]
                        return t.isNaN ? .null : .number(t)
                    }, offset: at)
            }
            return try field(name, at)
        }
    }

    private func field(_ identity: String, _ at: Int) throws(ExpressionError) -> Compiled {
        guard let specs = fieldsByIdentity[identity], let first = specs.first else {
            let candidates = Self.customerSystem + fieldsByIdentity.keys.sorted()
            throw ExpressionError(
                "customers have no field '\(identity)'\(Suggestion.didYouMean(identity, in: candidates))", at: at)
        }
        let type = try fieldType(identity, first, at)
        for other in specs.dropFirst() where try fieldType(identity, other, at).kindName != type.kindName {
            throw ExpressionError(
                "field '\(identity)' has different types in different tables; compare it in a rule per table", at: at)
        }
        var merged = type
        if case .text(.option(_, _, _)) = type {
            let options = specs.flatMap { $0.spec.options.flatMap { [$0.value] + $0.was } }
            merged = .text(
                .option(
                    field: identity, options: Array(Set(options)).sorted(),
                    canEnter: specs.contains { $0.spec.canEnter }))
        } else if case .list(.text(.option(_, _, _))) = type {
            let options = specs.flatMap { $0.spec.options.map(\.value) }
            merged = .list(
                .text(
                    .option(
                        field: identity, options: Array(Set(options)).sorted(),
                        canEnter: specs.contains { $0.spec.canEnter })))
        }
        fieldsRead.insert(identity)
        let slot: Int
        if let s = fieldSlot[identity] {
            slot = s
        } else {
            slot = fieldOrder.count
            fieldSlot[identity] = slot
            fieldOrder.append(identity)
        }
        return Compiled(
            type: merged,
            value: { ctx in
                switch ctx.customers.fields[slot][ctx.customer] {
                case .null: return .null
                case .string(let s): return .text(s)
                case .number(let n): return .number(n)
                case .bool(let b): return .bool(b)
                case .strings(let l): return .list(l.map { .text($0) })
                }
            }, offset: at)
    }

    private func fieldType(_ identity: String, _ f: (spec: FieldSpec, relateLevel: Bool), _ at: Int)
        throws(ExpressionError) -> ExpressionType
    {
        switch f.spec.base {
        case .input, .text, .relate: return .text(.free)
        case .select: return .text(.option(field: identity, options: [], canEnter: f.spec.canEnter))
        case .multiselect: return .list(.text(.option(field: identity, options: [], canEnter: f.spec.canEnter)))
        case .integer, .decimal: return .number
        case .boolean: return .bool
        case .date, .datetime: return .datetime
        case .upload: return .list(.text(.free))
        case .area: throw ExpressionError("field '\(identity)' is an area, which rules cannot read yet", at: at)
        }
    }

    // MARK: - Predicates and functions

    private func predicate(_ name: String, _ at: Int) throws(ExpressionError) -> Compiled {
        let env = environment
        if name == "in_pool" { try needsStoreKept("'in_pool'", at) } else { try needsUser("'\(name)'", at) }
        switch name {
        case "account_executive": return boolNode({ $0.customers.accountExecutive[$0.customer] == Int32($0.user) }, at)
        case "customer_service_rep": return boolNode({ $0.customers.serviceRep[$0.customer] == Int32($0.user) }, at)
        case "shared": return boolNode({ env.sharedWithUser($0) }, at)
        case "follower": return boolNode({ $0.customers.followers.contains($0.customer, Int32($0.user)) }, at)
        case "in_pool": return boolNode({ $0.customers.pool[$0.customer] >= 0 }, at)
        case "pool_admin": return boolNode({ env.poolRole($0, admin: true) }, at)
        case "pool_member": return boolNode({ env.poolRole($0, admin: false) }, at)
        case "permission_group", "in_permission_group", "in_editing_permission_group":
            guard allowGroupPredicates else {
                throw ExpressionError("'\(name)' cannot be used inside a permission group's own 'where'", at: at)
            }
            switch name {
            case "permission_group": return boolNode({ env.coveredByAGroup($0) }, at)
            case "in_permission_group": return boolNode({ env.inAnyGroupOfTeam($0) }, at)
            default: return boolNode({ env.inAnEditingGroupOfTeam($0) }, at)
            }
        case "all":
            throw ExpressionError("'all' is only a depth: manages(u, depth: all)", at: at)
        default:
            let names = Self.predicates + Self.roots + Self.functions + ["true", "false", "null"]
            throw ExpressionError("unknown name '\(name)'\(Suggestion.hint(name, in: names, listing: "names"))", at: at)
        }
    }

    private func call(_ name: String, _ arguments: [Syntax.Argument], _ at: Int) throws(ExpressionError) -> Compiled {
        let env = environment
        func positional(_ count: Int, _ usage: String) throws(ExpressionError) -> [Syntax] {
            let plain = arguments.filter { $0.label == nil }
            guard plain.count == count else {
                throw ExpressionError("\(name) takes \(count == 1 ? "one value" : "\(count) values"): \(usage)", at: at)
            }
            return plain.map(\.value)
        }
        if name == "manages" || name == "in_department" { try needsUser("\(name)(...)", at) }
        switch name {
        case "manages":
            let args = try positional(1, "manages(customer.account_executive) or manages(u, depth: 2)")
            for a in arguments where a.label != nil && a.label != "depth" {
                throw ExpressionError("manages takes 'depth:', not '\(a.label!):'", at: a.value.offset)
            }
            var levels: Int? = 1
            if let d = arguments.first(where: { $0.label == "depth" })?.value {
                switch d {
                case .path(["all"], _): levels = nil
                case .literal(.number(let n), _) where n >= 1 && n == n.rounded(): levels = Int(n)
                default:
                    throw ExpressionError("depth must be a whole number of levels (1 or more) or all", at: d.offset)
                }
            }
            let depth = levels
            let subject = try resolve(try compile(args[0]), as: .user, at: args[0].offset)
            guard subject.type == .text(.user) else {
                throw ExpressionError(
                    "manages needs a user, such as customer.account_executive, not \(subject.type)", at: args[0].offset)
            }
            if case .path(["customer", "account_executive"], _) = args[0] {
                return boolNode({ env.manages($0.user, $0.customers.accountExecutive[$0.customer], depth: depth) }, at)
            }
            let value = subject.value
            return boolNode(
                { ctx in
                    if case .id(let u) = value(ctx) { return env.manages(ctx.user, u, depth: depth) }
                    return false
                }, at)
        case "in_department":
            let args = try positional(1, "in_department(\"east\")")
            let d = try resolve(try compile(args[0]), as: .department, at: args[0].offset)
            guard d.type == .text(.department) else {
                throw ExpressionError("in_department needs a department, not \(d.type)", at: args[0].offset)
            }
            let org = self.org
            if case .id(let dept)? = d.constant {
                return boolNode({ org.departmentSubtree[Int(dept)].contains(Int(org.userDepartment[$0.user])) }, at)
            }
            let value = d.value
            return boolNode(
                { ctx in
                    if case .id(let dept) = value(ctx) {
                        return org.departmentSubtree[Int(dept)].contains(Int(org.userDepartment[ctx.user]))
                    }
                    return false
                }, at)
        case "has":
            let args = try positional(1, "has(customer.level)")
            guard case .path = args[0] else {
                throw ExpressionError("has needs a value such as customer.level", at: args[0].offset)
            }
            let value = try compile(args[0]).value
            return boolNode({ value($0).isGiven }, at)
        case "days_since":
            let args = try positional(1, "days_since(customer.last_followup_at)")
            let t = try compile(args[0])
            guard t.type == .datetime else {
                throw ExpressionError("days_since needs a date and time, not \(t.type)", at: args[0].offset)
            }
            let value = t.value
            return Compiled(
                type: .number,
                value: { ctx in
                    if case .number(let s) = value(ctx) { return .number((ctx.now - s) / 86_400) }
                    return .null
                }, offset: at)
        default:
            if Self.predicates.contains(name) {
                throw ExpressionError("\(name) takes no arguments: write it without parentheses", at: at)
            }
            throw ExpressionError(
                "unknown function '\(name)'\(Suggestion.hint(name, in: Self.functions, listing: "functions"))", at: at)
        }
    }

    // MARK: - Operators

    static func compatible(_ a: ExpressionType, _ b: ExpressionType) -> Bool {
        if a == .null || b == .null { return true }
        switch (a, b) {
        case (.text(let x), .text(let y)): return x.isEntity == y.isEntity && (!x.isEntity || x == y)
        case (.number, .duration), (.duration, .number): return true
        case (.list(let x), .list(let y)): return compatible(x, y)
        default: return a.kindName == b.kindName
        }
    }

    /// Turns a text literal into the value of `domain` (an interned id, a checked
    /// option, a date); other nodes are returned as they are.
    private func resolve(_ c: Compiled, as domain: ExpressionType.Domain, at: Int) throws(ExpressionError) -> Compiled {
        guard case .text(.free) = c.type, case .text(let s)? = c.constant else { return c }
        func entity(_ index: Int?, _ ids: [String]) throws(ExpressionError) -> Compiled {
            guard let index else {
                throw ExpressionError(
                    "there is no \(domain.noun.replacingOccurrences(of: "a ", with: "")) '\(s)'\(Suggestion.didYouMean(s, in: ids))",
                    at: at)
            }
            let v = Value.id(Int32(index))
            return Compiled(type: .text(domain), value: { _ in v }, constant: v, offset: at)
        }
        switch domain {
        case .user: return try entity(org.user(s), org.userIds)
        case .department: return try entity(org.department(s), org.departmentIds)
        case .role: return try entity(org.role(s), org.roleIds)
        case .team: return try entity(org.team(s), org.teamIds)
        case .package: return try entity(org.package(s), org.packageIds)
        case .pool: return try entity(org.pool(s), org.poolIds)
        case .table:
            guard TableKind(rawValue: s) != nil else {
                throw ExpressionError(
                    "there is no table '\(s)'\(Suggestion.hint(s, in: TableKind.allCases.map(\.rawValue), listing: "tables"))",
                    at: at)
            }
        case .option(let field, let options, let canEnter):
            if !canEnter, !options.contains(s) {
                throw ExpressionError(
                    "\"\(s)\" is not an option of '\(field)'\(Suggestion.hint(s, in: options, listing: "options"))",
                    at: at)
            }
        case .free, .tag:
            break
        }
        var resolved = c
        resolved.type = .text(domain)
        return resolved
    }

    private func resolvePair(_ l: Compiled, _ r: Compiled) throws(ExpressionError) -> (Compiled, Compiled) {
        var l = l
        var r = r
        if case .text(let d) = l.type, d != .free { r = try resolve(r, as: d, at: r.offset) }
        if case .text(let d) = r.type, d != .free { l = try resolve(l, as: d, at: l.offset) }
        if l.type == .datetime, let t = Self.datetimeConstant(r) { r = t }
        if r.type == .datetime, let t = Self.datetimeConstant(l) { l = t }
        return (l, r)
    }

    static func datetimeConstant(_ c: Compiled) -> Compiled? {
        guard case .text(let s)? = c.constant, let seconds = Timestamp.parse(s) else { return nil }
        let v = Value.number(seconds)
        return Compiled(type: .datetime, value: { _ in v }, constant: v, offset: c.offset)
    }

    private func binary(_ op: Syntax.BinaryOperator, _ lhs: Syntax, _ rhs: Syntax, _ at: Int) throws(ExpressionError)
        -> Compiled
    {
        switch op {
        case .and, .or:
            let l = try compile(lhs)
            let r = try compile(rhs)
            for (c, s) in [(l, lhs), (r, rhs)] where c.type != .bool {
                throw ExpressionError(
                    "'\(op.rawValue)' joins conditions that are true or false, but this is \(c.type)", at: s.offset)
            }
            let a = l.condition
            let b = r.condition
            return op == .and ? boolNode({ a($0) && b($0) }, at) : boolNode({ a($0) || b($0) }, at)
        case .in, .contains:
            let (elementSyntax, listSyntax) = op == .in ? (lhs, rhs) : (rhs, lhs)
            var list = try compile(listSyntax)
            var element = try compile(elementSyntax)
            if case .text = list.type {
                // Substring test on text.
                guard case .text = element.type else {
                    throw ExpressionError(
                        "'\(op.rawValue)' on text needs text on both sides, not \(element.type)",
                        at: elementSyntax.offset)
                }
                let e = element.value
                let l = list.value
                return boolNode(
                    { ctx in
                        if case .text(let x) = e(ctx), case .text(let y) = l(ctx) { return y.contains(x) }
                        return false
                    }, at)
            }
            guard case .list(let elementType) = list.type else {
                throw ExpressionError(
                    "'\(op.rawValue)' needs a list or text \(op == .in ? "on its right" : "on its left"), but this is \(list.type)",
                    at: listSyntax.offset)
            }
            if case .text(let d) = elementType, d != .free { element = try resolve(element, as: d, at: element.offset) }
            if case .text(let d) = element.type, d != .free, case .list(let items)? = list.constant {
                // A literal list of names: resolve each against the element's domain.
                let resolved = try items.indices.map { (k) throws(ExpressionError) -> Value in
                    guard case .text(let s) = items[k] else { return items[k] }
                    let literal = Compiled(
                        type: .text(.free), value: { _ in .text(s) }, constant: .text(s), offset: listSyntax.offset)
                    return try resolve(literal, as: d, at: listSyntax.offset).constant ?? items[k]
                }
                let v = Value.list(resolved)
                list = Compiled(type: .list(element.type), value: { _ in v }, constant: v, offset: list.offset)
            }
            guard
                Self.compatible(
                    element.type,
                    list.type == .list(.null) ? element.type : elementType == .null ? element.type : elementType)
            else {
                throw ExpressionError(
                    "'\(op.rawValue)' compares \(element.type) with \(list.type)", at: elementSyntax.offset)
            }
            return membership(element, list, listSyntax: listSyntax, at)
        default:
            var (l, r) = (try compile(lhs), try compile(rhs))
            (l, r) = try resolvePair(l, r)
            guard Self.compatible(l.type, r.type) else {
                throw ExpressionError("'\(op.rawValue)' compares \(l.type) with \(r.type)", at: rhs.offset)
            }
            if [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(op) {
                for (c, s) in [(l, lhs), (r, rhs)] where ![.number, .duration, .datetime, .null].contains(c.type) {
                    throw ExpressionError(
                        "'\(op.rawValue)' orders numbers, durations and dates, not \(c.type)", at: s.offset)
                }
            }
            return comparison(op, l, r, at)
        }
    }

    private func membership(_ element: Compiled, _ list: Compiled, listSyntax: Syntax, _ at: Int) -> Compiled {
        let org = self.org
        // Fast paths for the forms rules use most: a role or team of the user.
        if case .path(["user", "roles"], _) = listSyntax, case .id(let id)? = element.constant {
            return boolNode({ org.userRoles[$0.user].contains(Int(id)) }, at)
        }
        if case .path(["user", "teams"], _) = listSyntax {
            if case .id(let id)? = element.constant {
                return boolNode({ org.userTeams[$0.user].contains(Int(id)) }, at)
            }
            if element.type == .text(.team) {
                let e = element.value
                return boolNode(
                    { ctx in
                        if case .id(let t) = e(ctx) { return org.userTeams[ctx.user].contains(Int(t)) }
                        return false
                    }, at)
            }
        }
        let e = element.value
        let l = list.value
        return boolNode(
            { ctx in
                let x = e(ctx)
                guard case .list(let items) = l(ctx) else { return false }
                return items.contains(x)
            }, at)
    }

    private func comparison(_ op: Syntax.BinaryOperator, _ l: Compiled, _ r: Compiled, _ at: Int) -> Compiled {
        let a = l.value
        let b = r.value
        if let constant = r.constant, op == .equal || op == .notEqual {
            let equal = op == .equal
            return boolNode({ (a($0) == constant) == equal }, at)
        }
        switch op {
        case .equal: return boolNode({ a($0) == b($0) }, at)
        case .notEqual: return boolNode({ a($0) != b($0) }, at)
        default:
            return boolNode(
                { ctx in
                    guard case .number(let x) = a(ctx), case .number(let y) = b(ctx) else { return false }
                    switch op {
                    case .less: return x < y
                    case .lessOrEqual: return x <= y
                    case .greater: return x > y
                    default: return x >= y
                    }
                }, at)
        }
    }
}

extension ExpressionType {
    /// The kind without domain, for "are these the same sort of value".
    var kindName: String {
        switch self {
        case .bool: return "bool"
        case .number, .duration: return "number"
        case .datetime: return "datetime"
        case .null: return "null"
        case .text: return "text"
        case .list(let e): return "list of " + e.kindName
        }
    }
}
