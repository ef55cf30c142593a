/// Fills a customer table from records in the import / store shape (JSON Lines).
extension CustomerTable {
    /// Adds every line of `bytes` that is a JSON object with an `id`; lines that are
    /// not are skipped (validation is the record validators' job, not this one's).
    /// Returns how many customers were added.
    @discardableResult
    public func addJSONLines(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var tape = JSONTape()
        var added = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            defer { start = end + 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            guard (try? tape.parse(line)) != nil else { continue }
            let parsed: Record? = tape.withView(bytes: line) { self.record(from: $0, root: 0) }
            if let parsed {
                add(parsed)
                added += 1
            }
        }
        return added
    }

    /// Adds one document given as JSON bytes; false when it is not a record with an id.
    @discardableResult
    public func addDocument(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var tape = JSONTape()
        guard (try? tape.parse(bytes)) != nil else { return false }
        guard let parsed: Record = tape.withView(bytes: bytes, { self.record(from: $0, root: 0) }) else { return false }
        add(parsed)
        return true
    }

    /// The access-relevant part of one record.
    func record(from view: JSONView, root: Int) -> Record? {
        guard view.kind(root) == .object else { return nil }
        var record = Record(id: "")
        var hasId = false
        func text(_ i: Int) -> String? { view.kind(i) == .string ? view.string(i) : nil }
        func texts(_ i: Int) -> [String] {
            guard view.kind(i) == .array else { return [] }
            var out: [String] = []
            var k = i + 1
            while k < view.next(i) {
                if let s = text(k) { out.append(s) }
                k = view.next(k)
            }
            return out
        }
        var j = root + 1
        while j < view.next(root) {
            let key = view.string(j)
            let v = j + 1
            j = view.next(v)
            switch key {
            case "id": if let s = text(v) { record.id = s; hasId = true }
            case "team": record.team = text(v)
            case "table": record.table = text(v).flatMap(TableKind.init(rawValue:)) ?? .individual
            case "package": record.package = text(v)
            case "account_executive": record.accountExecutive = text(v)
            case "customer_service_rep": record.serviceRep = text(v)
            case "pool": record.pool = text(v)
            case "previous_account_executive": record.previousAccountExecutive = text(v)
            case "followers": record.followers = texts(v)
            case "tags": record.tags = texts(v)
            case "shared":
                guard view.kind(v) == .object else { continue }
                var k = v + 1
                while k < view.next(v) {
                    switch view.string(k) {
                    case "users": record.sharedUsers = texts(k + 1)
                    case "departments": record.sharedDepartments = texts(k + 1)
                    case "roles": record.sharedRoles = texts(k + 1)
                    default: break
                    }
                    k = view.next(k + 1)
                }
            case "fields":
                guard view.kind(v) == .object else { continue }
                var k = v + 1
                while k < view.next(v) {
                    let identity = view.string(k)
                    if fieldSlots[identity] != nil { record.fields[identity] = Self.fieldValue(view, k + 1) }
                    k = view.next(k + 1)
                }
            default:
                if Self.timeKeys.contains(key), let s = text(v), let t = Timestamp.parse(s) {
                    record.times[key] = t
                }
            }
        }
        return hasId ? record : nil
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
