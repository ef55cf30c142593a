import ClienteleCore
import ClienteleModel
import ClienteleSpec

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fills a customer table from records in the import / store shape (JSON Lines).
extension CustomerTable {
    /// Adds every line of `bytes` that is a JSON object with an `id`; other lines
    /// that are not blank are skipped (validation is the record validators' job, not
    /// this one's) and handed to `skipped` by their 1-based line number. Returns how
    /// many customers were added.
    @discardableResult
    package func addJSONLines(
        _ bytes: UnsafeBufferPointer<UInt8>, skipped: ((Int) -> Void)? = nil, lines: ((Int) -> Void)? = nil
    ) -> Int {
        var tape = JSONTape()
        var added = 0
        for line in Lines(bytes) {
            let record = line.bytes
            if addDocument(record, tape: &tape) {
                added += 1
                lines?(line.number)
            } else if let skipped, !record.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                skipped(line.number)
            }
        }
        return added
    }

    /// Adds one document given as JSON bytes; false when it is not a record with an id.
    @discardableResult
    package func addDocument(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var tape = JSONTape()
        return addDocument(bytes, tape: &tape)
    }

    enum TopKey: Int {
        case id, team, table, package, accountExecutive, serviceRep, pool, previousAccountExecutive, followers, tags,
            shared, fields, time
    }
    static let topKeys = ByteKeyTable(
        [
            (StoredKey.id, TopKey.id), (.team, .team), (.table, .table), (.package, .package),
            (.accountExecutive, .accountExecutive),
            (.customerServiceRep, .serviceRep), (.pool, .pool), (.previousAccountExecutive, .previousAccountExecutive),
            (.followers, .followers),
            (.tags, .tags), (.shared, .shared), (.fields, .fields),
        ].map { ($0.name, $1.rawValue) } + timeKeys.map { ($0, TopKey.time.rawValue) })
    static let sharedKeys = ByteKeyTable([("users", 0), ("departments", 1), ("roles", 2)])
    static let tableNames = ByteKeyTable(TableKind.allCases.enumerated().map { ($1.rawValue, $0) })

    /// Reads a document straight from its tape into the columns: ids interned from
    /// their bytes, no intermediate record (opening a store loads every customer this way).
    package func addDocument(_ bytes: UnsafeBufferPointer<UInt8>, tape: inout JSONTape) -> Bool {
        guard (try? tape.parse(bytes)) != nil else { return false }
        return tape.withView(bytes: bytes) { view -> Bool in addRecord(view, root: 0) }
    }

    /// Where a record that does not say it belongs (an import row, which `--table` and
    /// `--package` place): the team, table and package indexes it is read with.
    package struct Placement: Sendable {
        package var team: Int32
        package var table: TableKind
        package var package: Int32

        package init(team: Int32, table: TableKind, package: Int32) {
            self.team = team
            self.table = table
            self.package = package
        }
    }

    /// Reads the record at `root` of a view into a new row; with `placement`, the row
    /// belongs there whatever the record says, and a record without an id is read as "".
    package func addRecord(_ view: JSONView, root: Int, placement: Placement? = nil) -> Bool {
        guard view.kind(root) == .object else { return false }
        var id: String?
        var teamValue: Int32 = -1
        var tableValue: UInt8 = 0
        var packageValue: Int32 = -1
        var ae: Int32 = -1
        var csr: Int32 = -1
        var poolValue: Int32 = -1
        var previous: Int32 = -1
        var timeValues = [Double](repeating: .nan, count: Self.timeKeys.count)
        var fieldValues = [FieldValue](repeating: .null, count: fieldSlots.count)
        var followerIds: [Int32] = []
        var tagTexts: [String] = []
        var sharedIds: [[Int32]] = [[], [], []]
        func intern(_ table: ByteKeyTable, _ i: Int) -> Int32 {
            guard view.kind(i) == .string else { return -1 }
            return view.withString(i) { table.lookup($0) }.map(Int32.init) ?? -1
        }
        func internList(_ table: ByteKeyTable, _ i: Int) -> [Int32] {
            guard view.kind(i) == .array else { return [] }
            var out: [Int32] = []
            var k = i + 1
            while k < view.next(i) {
                let v = intern(table, k)
                if v >= 0 { out.append(v) }
                k = view.next(k)
            }
            return out
        }
        var j = root + 1
        while j < view.next(root) {
            let v = j + 1
            defer { j = view.next(v) }
            guard let key = view.withString(j, { Self.topKeys.lookup($0) }).flatMap(TopKey.init(rawValue:)) else {
                continue
            }
            switch key {
            case .id: if view.kind(v) == .string { id = view.string(v) }
            case .team: teamValue = intern(org.teams, v)
            case .table:
                if view.kind(v) == .string, let t = view.withString(v, { Self.tableNames.lookup($0) }) {
                    tableValue = UInt8(t)
                }
            case .package: packageValue = intern(org.packages, v)
            case .accountExecutive: ae = intern(org.users, v)
            case .serviceRep: csr = intern(org.users, v)
            case .pool: poolValue = intern(org.pools, v)
            case .previousAccountExecutive: previous = intern(org.users, v)
            case .followers: followerIds = internList(org.users, v)
            case .tags:
                guard view.kind(v) == .array else { continue }
                var k = v + 1
                while k < view.next(v) {
                    if view.kind(k) == .string { tagTexts.append(view.string(k)) }
                    k = view.next(k)
                }
            case .shared:
                guard view.kind(v) == .object else { continue }
                var k = v + 1
                while k < view.next(v) {
                    if let which = view.withString(k, { Self.sharedKeys.lookup($0) }) {
                        sharedIds[which] = internList(
                            which == 0 ? org.users : which == 1 ? org.departments : org.roles, k + 1)
                    }
                    k = view.next(k + 1)
                }
            case .fields:
                guard view.kind(v) == .object, !fieldSlots.isEmpty else { continue }
                var k = v + 1
                while k < view.next(v) {
                    if let slot = view.withString(k, { fieldSlotTable.lookup($0) }) {
                        fieldValues[slot] = Self.fieldValue(view, k + 1)
                    }
                    k = view.next(k + 1)
                }
            case .time:
                let name = view.string(j)
                if let index = Self.timeKeys.firstIndex(of: name), view.kind(v) == .string,
                    let t = Timestamp.parse(view.string(v))
                {
                    timeValues[index] = t
                }
            }
        }
        if let placement {
            (teamValue, tableValue, packageValue) = (placement.team, UInt8(placement.table.ordinal), placement.package)
        }
        guard let id = id ?? (placement == nil ? nil : "") else { return false }
        append(
            id: id, team: teamValue, table: tableValue, package: packageValue, accountExecutive: ae,
            serviceRep: csr,
            pool: poolValue, previousAccountExecutive: previous, sharedUsers: sharedIds[0],
            sharedDepartments: sharedIds[1],
            sharedRoles: sharedIds[2], followers: followerIds, tags: tagTexts, times: timeValues,
            fields: fieldValues)
        return true
    }

    static func fieldValue(_ view: JSONView, _ i: Int) -> FieldValue {
        switch view.kind(i) {
        case .null: return .null
        case .string: return .string(view.string(i))
        case .number: return .number(ValueFormats.double(view.raw(i)) ?? 0)
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .array:
            var out: [String] = []
            var k = i + 1
            while k < view.next(i) {
                if view.kind(k) == .string { out.append(view.string(k)) }
                k = view.next(k)
            }
            return .strings(out)
        case .object: return .null
        }
    }
}
