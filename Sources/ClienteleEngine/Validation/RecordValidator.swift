import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Validates whole customer records (system keys, ownership and `fields`) against
/// a model: the compiled form of the schema, one `CustomerValidator` per
/// (team, table, package).
package struct RecordValidator: Sendable {
    /// Where a record goes when it does not say (from `--table`, `--package`, `--team`).
    /// Where a record goes when it does not say: made only from checked input
    /// (`ImportTarget.resolve` checks each name against the model), or `none`.
    package struct Defaults: Sendable {
        package internal(set) var team: String?
        package internal(set) var table: TableKind?
        package internal(set) var package: String?

        /// No defaults: every record names its team, table and package.
        package static let none = Defaults()

        package init(team: String? = nil, table: TableKind? = nil, package: String? = nil) {
            self.team = team
            self.table = table
            self.package = package
        }
    }

    /// What validation learned about a record besides its problems.
    package struct Outcome: Sendable {
        /// The token of the record's `id` string, when it gave one.
        package var idToken: Int?
        /// The validator the record was checked against.
        package var validator: Int?
    }

    package let validators: [CustomerValidator]
    let teams: ByteKeyTable
    package let teamIds: [String]
    let packages: ByteKeyTable
    let packageList: [Package]
    /// `TableKind.slot(team:table:)` -> validator; package index -> validator.
    let mainValidators: [Int]
    let packageValidators: [Int]
    let users: ByteKeyTable
    let departments: ByteKeyTable
    let roles: ByteKeyTable
    let userIds: [String], departmentIds: [String], roleIds: [String]

    enum Key: Int, CaseIterable {
        case id, team, table, package, accountExecutive, customerServiceRep, shared, tags, fields
        case storeKept
    }
    static let keyNames: [(String, Key)] =
        [
            (StoredKey.id, Key.id), (.team, .team), (.table, .table), (.package, .package),
            (.accountExecutive, .accountExecutive), (.customerServiceRep, .customerServiceRep),
            (.shared, .shared), (.tags, .tags), (.fields, .fields),
        ].map { ($0.name, $1) } + StoredKey.storeKept.map { ($0.name, Key.storeKept) }
    static let keyTable = ByteKeyTable(keyNames.enumerated().map { ($1.0, $0) })
    static let keyKinds = keyNames.map(\.1)
    static let tableKinds = ByteKeyTable(TableKind.allCases.enumerated().map { ($1.rawValue, $0) })
    static let sharedKeys = ByteKeyTable([("users", 0), ("departments", 1), ("roles", 2)])

    let model: Model
    let inheritance: PackageInheritance
    /// The validators of the related kinds' records, by kind.
    package let kinds: [String: CustomerValidator]
    /// The config's `validation_rules`, checked on a record whose fields are valid.
    package var validationRules: ValidationRuleSet?

    /// An independent copy for another thread: sharing the compiled checks would make
    /// every thread retain the same objects, and their reference counts bounce between cores.
    package func copyForAnotherThread() -> RecordValidator {
        var copy = RecordValidator(model: model, inheritance: inheritance)
        copy.validationRules = validationRules
        return copy
    }

    package init(model: Model, inheritance: PackageInheritance = .everything) {
        self.model = model
        self.inheritance = inheritance
        kinds = Dictionary(
            model.related.map { ($0.id, CustomerValidator(kind: $0)) }, uniquingKeysWith: { first, _ in first })
        let org = model.organization
        let schema = model.schema
        teamIds = org.teams.map(\.id)
        teams = ByteKeyTable(teamIds.enumerated().map { ($1, $0) })
        packageList = schema.packages
        packages = ByteKeyTable(packageList.enumerated().map { ($1.id, $0) })
        var validators: [CustomerValidator] = []
        var main: [Int] = []
        for team in teamIds {
            for table in TableKind.allCases {
                main.append(validators.count)
                validators.append(
                    CustomerValidator(team: team, table: table, package: nil, schema: schema, inheritance: inheritance))
            }
        }
        var byPackage: [Int] = []
        for p in packageList {
            byPackage.append(validators.count)
            validators.append(
                CustomerValidator(team: p.team, table: p.table, package: p.id, schema: schema, inheritance: inheritance)
            )
        }
        self.validators = validators
        mainValidators = main
        packageValidators = byPackage
        userIds = org.users.map(\.id)
        departmentIds = org.departments.map(\.id)
        roleIds = org.roles.map(\.id)
        users = ByteKeyTable(userIds.enumerated().map { ($1, $0) })
        departments = ByteKeyTable(departmentIds.enumerated().map { ($1, $0) })
        roles = ByteKeyTable(roleIds.enumerated().map { ($1, $0) })
    }

    package var maximumSlotCount: Int { validators.map(\.slotCount).max() ?? 0 }

    /// The validator for (team, table, package), if that combination exists.
    package func validatorIndex(team: String, table: TableKind, package: String?) -> Int? {
        if let package {
            guard let p = packages.lookup(package), packageList[p].team == team, packageList[p].table == table else {
                return nil
            }
            return packageValidators[p]
        }
        guard let t = teams.lookup(team) else { return nil }
        return mainValidators[TableKind.slot(team: t, table: table.ordinal)]
    }

    /// Validates the record at `root`; problems are appended, and nothing is allocated
    /// for a valid record (unless validation rules cover it). `importing`: the record is
    /// an import row, whose fields left out take their defaults when it is stored, so
    /// the validation rules read them so.
    @discardableResult
    package func validate(
        _ view: JSONView, root: Int = 0, defaults: Defaults = .none, importing: Bool = false,
        scratch: inout [Int32], problems: inout [RecordProblem]
    ) -> Outcome {
        guard view.kind(root) == .object else {
            problems.append(
                RecordProblem(column: "", message: "a record must be a JSON object, not \(Shown.value(view, root))"))
            return Outcome()
        }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: Key.allCases.count) { found in
            found.initialize(repeating: -1)
            return validate(
                view, root: root, defaults: defaults, importing: importing, found: found, scratch: &scratch,
                problems: &problems)
        }
    }

    private func validate(
        _ view: JSONView, root: Int, defaults: Defaults, importing: Bool, found: UnsafeMutableBufferPointer<Int>,
        scratch: inout [Int32], problems: inout [RecordProblem]
    ) -> Outcome {
        var outcome = Outcome()
        var j = root + 1
        let end = view.next(root)
        while j < end {
            let valueIndex = j + 1
            defer { j = view.next(valueIndex) }
            guard let k = Self.keyTable.lookup(view, j) else {
                let name = view.string(j)
                let hint =
                    validators.contains(where: { $0.slots.lookup(name) != nil })
                    ? "; field values go under \"fields\"" : Suggestion.didYouMean(name, in: Self.keyNames.map(\.0))
                problems.append(RecordProblem(column: name, message: "unknown key '\(name)'\(hint)"))
                continue
            }
            let key = Self.keyKinds[k]
            if key == .storeKept {
                let name = Self.keyNames[k].0
                problems.append(
                    RecordProblem(column: name, message: "'\(name)' is kept by the store and cannot be imported"))
                continue
            }
            if found[key.rawValue] >= 0 {
                problems.append(
                    RecordProblem(column: Self.keyNames[k].0, message: "key '\(Self.keyNames[k].0)' is given twice"))
                continue
            }
            found[key.rawValue] = valueIndex
        }

        if found[Key.id.rawValue] >= 0 {
            let i = found[Key.id.rawValue]
            if view.kind(i) == .string, view.withString(i, Self.isRecordId) {
                outcome.idToken = i
            } else if view.kind(i) != .null {
                problems.append(
                    RecordProblem(
                        column: "id",
                        message: "id must be 1 to 64 letters, digits, '-' or '_', got \(Shown.value(view, i))"))
            }
        }

        // Where the record belongs.
        var team = defaults.team
        if found[Key.team.rawValue] >= 0 {
            let i = found[Key.team.rawValue]
            if view.kind(i) == .string, view.withString(i, { teams.lookup($0) }) != nil {
                team = view.string(i)
            } else {
                problems.append(
                    RecordProblem(
                        column: "team",
                        message: "team must be one of \(Shown.list(teamIds)), got \(Shown.value(view, i))"))
                return outcome
            }
        }
        var table = defaults.table
        if found[Key.table.rawValue] >= 0 {
            let i = found[Key.table.rawValue]
            let names = TableKind.allCases.map(\.rawValue)
            if view.kind(i) == .string, let kind = Self.tableKinds.lookup(view, i) {
                table = TableKind.allCases[kind]
            } else {
                problems.append(
                    RecordProblem(
                        column: "table",
                        message: "table must be one of \(names.joined(separator: ", ")), got \(Shown.value(view, i))"))
                return outcome
            }
        }
        var packageIndex: Int?
        var packageGiven = false
        if found[Key.package.rawValue] >= 0 {
            let i = found[Key.package.rawValue]
            packageGiven = true
            if view.kind(i) == .string {
                guard let p = view.withString(i, { packages.lookup($0) }) else {
                    problems.append(
                        RecordProblem(
                            column: "package",
                            message:
                                "package \(Shown.text(view.string(i))) is not defined\(Suggestion.didYouMean(view.string(i), in: packageList.map(\.id)))"
                        ))
                    return outcome
                }
                packageIndex = p
            } else if view.kind(i) != .null {
                problems.append(
                    RecordProblem(
                        column: "package", message: "package must be a package id or null, got \(Shown.value(view, i))")
                )
                return outcome
            }
        }
        if !packageGiven, let p = defaults.package {
            guard let index = packages.lookup(p) else {
                problems.append(RecordProblem(column: "package", message: "package \(Shown.text(p)) is not defined"))
                return outcome
            }
            packageIndex = index
        }
        if let p = packageIndex {
            let package = packageList[p]
            if team == nil { team = package.team }
            if table == nil { table = package.table }
            if package.team != team || package.table != table {
                problems.append(
                    RecordProblem(
                        column: "package",
                        message:
                            "package '\(package.id)' belongs to team '\(package.team)', table '\(package.table.rawValue)', not team '\(team ?? "")', table '\(table?.rawValue ?? "")'"
                    ))
                return outcome
            }
        }
        guard let team else {
            problems.append(
                RecordProblem(column: "team", message: "the record names no team (give \"team\", or --team)"))
            return outcome
        }
        guard let table else {
            problems.append(
                RecordProblem(column: "table", message: "the record names no table (give \"table\", or --table)"))
            return outcome
        }
        // A default the model does not know is refused here, never trusted.
        guard let teamIndex = teams.lookup(team) else {
            problems.append(
                RecordProblem(
                    column: "team", message: "team must be one of \(Shown.list(teamIds)), got \(Shown.text(team))"))
            return outcome
        }
        let validatorIndex =
            packageIndex.map { packageValidators[$0] }
            ?? mainValidators[TableKind.slot(team: teamIndex, table: table.ordinal)]
        outcome.validator = validatorIndex

        for (key, name) in [(Key.accountExecutive, "account_executive"), (.customerServiceRep, "customer_service_rep")]
        where found[key.rawValue] >= 0 {
            let i = found[key.rawValue]
            if view.kind(i) == .null { continue }
            if view.kind(i) != .string || view.withString(i, { users.lookup($0) }) == nil {
                problems.append(
                    RecordProblem(
                        column: name,
                        message:
                            "\(name) must be a user id or null, got \(Shown.value(view, i))\(view.kind(i) == .string ? Suggestion.didYouMean(view.string(i), in: userIds) : "")"
                    ))
            }
        }
        if found[Key.shared.rawValue] >= 0 { checkShared(view, found[Key.shared.rawValue], &problems) }
        if found[Key.tags.rawValue] >= 0 { checkTags(view, found[Key.tags.rawValue], &problems) }

        var fieldsObject: Int?
        if found[Key.fields.rawValue] >= 0 {
            let i = found[Key.fields.rawValue]
            if view.kind(i) == .object {
                fieldsObject = i
            } else if view.kind(i) != .null {
                problems.append(
                    RecordProblem(
                        column: "fields",
                        message: "fields must be an object of field values, got \(Shown.value(view, i))"))
                return outcome
            }
        }
        let before = problems.count
        validators[validatorIndex].validate(view, fieldsObject: fieldsObject, scratch: &scratch, problems: &problems)
        // Rules over several fields read values that are valid one by one.
        if let validationRules, !validationRules.isEmpty, problems.count == before {
            let package = packageIndex.map { packageList[$0].id }
            for rule in validationRules.broken(
                view, root: root, team: team, table: table, package: package,
                fields: importing ? validators[validatorIndex].fields : [], now: Timestamp.currentSeconds())
            {
                problems.append(ValidationRuleSet.problem(rule))
            }
        }
        return outcome
    }

    static func isRecordId(_ b: UnsafeBufferPointer<UInt8>) -> Bool { ValueFormats.isRecordId(b) }

    private func checkShared(_ view: JSONView, _ i: Int, _ problems: inout [RecordProblem]) {
        guard view.kind(i) == .object else {
            if view.kind(i) != .null {
                problems.append(
                    RecordProblem(
                        column: "shared",
                        message:
                            "shared must be an object with users, departments and roles, got \(Shown.value(view, i))"))
            }
            return
        }
        var j = i + 1
        while j < view.next(i) {
            let keyIndex = j
            let list = j + 1
            j = view.next(list)
            let (table, ids, what): (ByteKeyTable, [String], String)
            switch Self.sharedKeys.lookup(view, keyIndex) {
            case 0: (table, ids, what) = (users, userIds, "user")
            case 1: (table, ids, what) = (departments, departmentIds, "department")
            case 2: (table, ids, what) = (roles, roleIds, "role")
            default:
                problems.append(
                    RecordProblem(
                        column: "shared",
                        message:
                            "shared has the unknown key '\(view.string(keyIndex))'; it takes users, departments and roles"
                    ))
                continue
            }
            let key = what + "s"
            guard view.kind(list) == .array else {
                problems.append(
                    RecordProblem(
                        column: "shared",
                        message: "shared.\(key) must be a list of \(what) ids, got \(Shown.value(view, list))"))
                continue
            }
            var k = list + 1
            while k < view.next(list) {
                if view.kind(k) != .string || view.withString(k, { table.lookup($0) }) == nil {
                    let hint = view.kind(k) == .string ? Suggestion.didYouMean(view.string(k), in: ids) : ""
                    problems.append(
                        RecordProblem(
                            column: "shared",
                            message: "shared.\(key) names \(Shown.value(view, k)), which is not a \(what)\(hint)"))
                }
                k = view.next(k)
            }
        }
    }

    /// The most tags one customer carries: every tag change logs the list before and after.
    package static let maxTags = 100

    /// Whether two string tokens hold the same text.
    private static func sameText(_ view: JSONView, _ a: Int, _ b: Int) -> Bool {
        let (x, y) = (view.token(a), view.token(b))
        guard x.kind == .string, y.kind == .string else { return false }
        if x.escaped || y.escaped { return view.string(a) == view.string(b) }
        let (p, q) = (view.raw(a), view.raw(b))
        return p.count == q.count && p.elementsEqual(q)
    }

    private func checkTags(_ view: JSONView, _ i: Int, _ problems: inout [RecordProblem]) {
        guard view.kind(i) == .array else {
            if view.kind(i) != .null {
                problems.append(
                    RecordProblem(column: "tags", message: "tags must be a list of text, got \(Shown.value(view, i))"))
            }
            return
        }
        var k = i + 1
        var count = 0
        while k < view.next(i) {
            let t = view.token(k)
            if t.kind != .string || t.end == t.start || t.end - t.start > 200 {
                problems.append(
                    RecordProblem(
                        column: "tags",
                        message: "each tag must be text of 1 to 200 characters, got \(Shown.value(view, k))"))
            }
            count += 1
            k = view.next(k)
        }
        if count > Self.maxTags {
            problems.append(
                RecordProblem(
                    column: "tags", message: "a customer has at most \(Self.maxTags) tags, got \(count)"))
            return
        }
        // Each pair once, on the bytes (decoded only when one of the two is escaped): nothing allocated.
        var a = i + 1
        while a < view.next(i) {
            var b = view.next(a)
            while b < view.next(i) {
                if Self.sameText(view, a, b) {
                    problems.append(
                        RecordProblem(column: "tags", message: "the tag \(Shown.text(view.string(a))) is given twice"))
                    break
                }
                b = view.next(b)
            }
            a = view.next(a)
        }
    }
}
