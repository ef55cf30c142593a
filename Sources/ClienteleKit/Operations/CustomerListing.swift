import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// `customer list` and `export`: the customers a user may act on, filtered, read
/// from the store, masked by the field rules and arranged by a view.
package struct CustomerListing {
    package let operations: CustomerOperations

    package init(config: CompiledConfig, store: any CustomerStore, now: Double = Timestamp.processStart) {
        operations = CustomerOperations(config: config, store: store, now: now)
    }

    /// The listing the operations' own (with their idea of a customer one may not view).
    package init(operations: CustomerOperations) {
        self.operations = operations
    }

    package struct Query: Sendable {
        package var action: Action = .view
        package var whereExpression: String?
        package var search: String?
        package var tag: String?
        package var followed = false
        package var package: String?
        /// Only the customers sitting in this pool (its members and admins only).
        package var pool: String?
        package var table: TableKind?
        package var view: String?
        /// A saved list (`lists:`): its filter, table, package, columns and order.
        package var list: SavedList?
        /// Only the customers within a distance of a point, nearest first.
        package var near: Near?
        /// What `now` is in `where` (seconds since 1970; default the clock).
        package var now = Timestamp.currentSeconds()

        package init() {}

        /// Whether anything but the pool narrows the list.
        package var isFiltered: Bool {
            whereExpression != nil || search != nil || tag != nil || followed || package != nil || table != nil
                || view != nil || list != nil || near != nil
        }
    }

    /// `--near LAT,LNG --radius KM`: the customers whose location (`billingLat`,
    /// `billingLng`) lies within `radius` km of a point.
    package struct Near: Sendable, Equatable {
        package var lat: Double
        package var lng: Double
        package var radius: Double

        /// The radius `--near` takes when none is given (km).
        package static let defaultRadius = 5.0

        /// Reads "LAT,LNG" (decimal numbers) and a radius in km, or says what is wrong with
        /// them, naming them as `names` does (the options, or a request's parameters).
        package init(_ point: String, radius: Double?, names: (point: String, radius: String) = ("--near", "--radius"))
            throws(OperationError)
        {
            let parts = point.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let decimal = { (text: String) -> Double? in
                guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.".contains($0)) }) else {
                    return nil
                }
                return Double(text)
            }
            guard parts.count == 2, let lat = decimal(parts[0]), let lng = decimal(parts[1]) else {
                throw .invalid([
                    "\(names.point) expects a latitude and a longitude in degrees, like 30.28,120.15; got '\(point)'"
                ])
            }
            guard (-90...90).contains(lat) else {
                throw .invalid(["\(names.point): the latitude \(parts[0]) is outside -90 to 90"])
            }
            guard (-180...180).contains(lng) else {
                throw .invalid(["\(names.point): the longitude \(parts[1]) is outside -180 to 180"])
            }
            let radius = radius ?? Self.defaultRadius
            guard radius.isFinite, radius > 0, radius <= GeoGrid.maxRadius else {
                throw .invalid([
                    "\(names.radius) is in km, above 0 and at most \(Int(GeoGrid.maxRadius)); got \(radius)"
                ])
            }
            (self.lat, self.lng, self.radius) = (lat, lng, radius)
        }
    }

    package func view(named name: String?) throws(OperationError) -> View? {
        guard let name else { return nil }
        guard let v = operations.config.model.views.first(where: { $0.id == name }) else {
            throw .invalid([
                "there is no view '\(name)'\(Suggestion.didYouMean(name, in: operations.config.model.views.map(\.id)))"
            ])
        }
        return v
    }

    /// The saved lists shown to the user, as the config declares them.
    package func savedLists(for actor: String) throws(OperationError) -> [SavedList] {
        _ = try operations.user(actor)
        let model = operations.config.model
        return model.lists.filter { $0.isVisible(to: actor, in: model.organization) }
    }

    /// A saved list as `customer lists --format json` and `GET /v1/lists` show it.
    package static func json(_ list: SavedList) -> JSONValue {
        .object([
            ("id", .string(list.id)), ("name", list.name.map(JSONValue.string) ?? .null),
            ("team", list.team.map(JSONValue.string) ?? .null), ("table", .string(list.table.rawValue)),
            ("package", list.package.map(JSONValue.string) ?? .null),
            ("where", list.filter.map { .string($0.text) } ?? .null),
            ("columns", .array(list.columns.map(JSONValue.string))),
            ("sort", .array(list.sort.map { .string(($0.descending ? "-" : "") + $0.key) })),
        ])
    }

    /// The saved list of that name, among those shown to the user: one they may not open
    /// is one that does not exist.
    package func savedList(named name: String?, for actor: String) throws(OperationError) -> SavedList? {
        guard let name else { return nil }
        let shown = try savedLists(for: actor)
        guard let list = shown.first(where: { $0.id == name }) else {
            throw .invalid(["there is no list '\(name)'\(Suggestion.didYouMean(name, in: shown.map(\.id)))"])
        }
        return list
    }

    /// The documents, by number (or in a saved list's order). Customers sitting in a pool are listed only with
    /// `pool` (seed 003: a customer returned to the high seas leaves its owner's list).
    package func run(as actor: String, _ query: Query) throws(OperationError) -> [JSONValue] {
        let selection = try select(as: actor, query)
        let needle = query.search?.lowercased()
        var result: [JSONValue] = []
        for (c, access) in selection.rows {
            let id = selection.table.ids[c]
            var document = selection.documents[id]
            if document == nil {
                do { document = try operations.store.document(id) } catch { throw .store(error) }
            }
            guard let document else { continue }
            if query.pool == nil, document["pool"].map({ !$0.isNull }) == true { continue }
            let shown = operations.masked(document, access)
            // --search reads the values as the user sees them.
            if let needle, !Self.matches(shown, needle) { continue }
            result.append(Self.arranged(shown, selection.view))
        }
        if let distances = selection.distances {
            // Nearest first; as far, by number.
            result.sort { a, b in
                let (x, y) = (a["id"]?.stringValue ?? "", b["id"]?.stringValue ?? "")
                let (dx, dy) = (distances[x] ?? 0, distances[y] ?? 0)
                return dx != dy ? dx < dy : Self.numberOrder(x, y)
            }
        } else {
            result.sort { Self.numberOrder($0["id"]?.stringValue ?? "", $1["id"]?.stringValue ?? "") }
        }
        guard let list = query.list else { return result }
        if !list.sort.isEmpty {
            // Sorted by the values as the user sees them: a hidden field sorts as missing.
            let keyed = result.map { document in (document, list.sort.map { Self.column($0.key, of: document) }) }
            result = Self.stableSorted(keyed, by: list.sort.map(\.descending)).map(\.0)
        }
        return list.columns.isEmpty ? result : result.map { Self.narrowed($0, to: list.columns) }
    }

    /// A column of a document: a field, or what the store keeps.
    package static func column(_ name: String, of document: JSONValue) -> JSONValue? {
        SavedList.systemColumns.contains(name) ? document[name] : document["fields"]?[name]
    }

    /// Documents in the order of their keys (nulls last either way), equal keys kept in order.
    static func stableSorted(_ keyed: [(JSONValue, [JSONValue?])], by descending: [Bool]) -> [(JSONValue, [JSONValue?])]
    {
        let indexed = keyed.enumerated().map { ($0.offset, $0.element) }
        return indexed.sorted { a, b in
            for (k, down) in descending.enumerated() {
                let x = a.1.1[k].flatMap { $0.isNull ? nil : $0 }
                let y = b.1.1[k].flatMap { $0.isNull ? nil : $0 }
                switch (x, y) {
                case (nil, nil): continue
                case (nil, _): return false
                case (_, nil): return true
                case (let x?, let y?):
                    if let order = Self.compare(x, y), order != 0 { return down ? order > 0 : order < 0 }
                }
            }
            return a.0 < b.0
        }.map(\.1)
    }

    /// -1, 0 or 1: numbers by value, text by its characters, true after false; nil when
    /// the two are not of one kind.
    static func compare(_ x: JSONValue, _ y: JSONValue) -> Int? {
        switch (x, y) {
        case (.number(let a), .number(let b)):
            let (x, y) = (Double(a) ?? 0, Double(b) ?? 0)
            return x < y ? -1 : x == y ? 0 : 1
        case (.string(let a), .string(let b)): return a < b ? -1 : a == b ? 0 : 1
        case (.bool(let a), .bool(let b)): return a == b ? 0 : a ? 1 : -1
        default:
            let (a, b) = (x.jsonText, y.jsonText)
            return a < b ? -1 : a == b ? 0 : 1
        }
    }

    /// The document with only the list's field columns, in the list's order.
    static func narrowed(_ document: JSONValue, to columns: [String]) -> JSONValue {
        guard case .object(var members) = document, let k = members.firstIndex(where: { $0.0 == "fields" }),
            case .object(let fields) = members[k].1
        else { return document }
        members[k].1 = .object(columns.compactMap { name in fields.first { $0.0 == name } })
        return .object(members)
    }

    /// The ids of the customers a query selects (`--search`, which reads the documents,
    /// aside), by number.
    package func ids(as actor: String, _ query: Query) throws(OperationError) -> [String] {
        let selection = try select(as: actor, query, withFieldAccess: false)
        return selection.rows.map { selection.table.ids[$0.row] }.sorted(by: Self.numberOrder)
    }

    /// The rows of the access table a query selects, each with the user's field access
    /// (unrestricted without `withFieldAccess`, when nothing is shown), read from the
    /// access columns alone.
    func select(as actor: String, _ query: Query, withFieldAccess: Bool = true) throws(OperationError) -> (
        table: CustomerTable, view: View?, rows: [(row: Int, access: FieldAccess)], distances: [String: Double]?,
        documents: [String: JSONValue]
    ) {
        let config = operations.config
        let policy = config.access
        let u = try operations.user(actor)
        let view = try view(named: query.view)
        // The list's filter (checked when the config was), then --where; they share the table's slots.
        let sources = [
            query.list.flatMap { list in list.filter.map { ("list '\(list.id)'", $0.text) } },
            query.whereExpression.map { ("--where", $0) },
        ].compactMap { $0 }
        var filters: [(label: String, filter: AccessPolicy.Filter)] = []
        do {
            filters = zip(sources.map(\.0), try policy.filters(sources.map(\.1), model: config.model)).map { ($0, $1) }
        } catch {
            throw .invalid(["\(sources[error.index].0), at character \(error.error.offset + 1): \(error.error.message)"]
            )
        }
        let table: CustomerTable
        do {
            table = try operations.store.customerTable(
                for: policy, fieldIdentities: filters.last?.filter.fieldIdentities)
        } catch {
            throw .store(error)
        }
        let packageIndex = (query.package ?? query.list?.package).map { policy.org.package($0).map(Int32.init) ?? -2 }
        if let list = query.list, let package = query.package, let listed = list.package, package != listed {
            throw .invalid(["list '\(list.id)' lists package '\(listed)', not '\(package)'"])
        }
        let listTeam = query.list?.team.flatMap { policy.org.team($0).map(Int32.init) }
        var poolIndex: Int32?
        if let id = query.pool {
            guard let pool = operations.poolNamed(id), let p = policy.org.pool(id) else {
                throw .invalid([
                    "there is no pool '\(id)'\(Suggestion.didYouMean(id, in: config.model.pools.map(\.id)))"
                ])
            }
            guard operations.isPoolMember(actor, pool) || operations.isPoolAdmin(actor, pool) else {
                throw .refused("\(actor) may not list pool '\(id)': only its members and admins do")
            }
            poolIndex = Int32(p)
        }
        let viewPackage = view?.package.flatMap { policy.org.package($0).map(Int32.init) }
        let viewTeam = view.flatMap { policy.org.team($0.team).map(Int32.init) }
        // --near reads the customers of the grid cells around the point, not every customer.
        // Only the customers the user may see are read, to measure their distance: the
        // time taken never tells how many others are near.
        var distances: [String: Double]?
        // The documents read to measure a distance, which `run` shows without reading them again.
        var read: [String: JSONValue] = [:]
        var candidates: [Int]?
        if let near = query.near {
            distances = [:]
            candidates = try cellCustomers(near).compactMap { table.index(of: $0) }.sorted()
        }
        let (latField, lngField) = UniqueKeys.locationFields
        var rows: [(row: Int, access: FieldAccess)] = []
        for c in candidates
            ?? policy.visible(user: u, action: query.action, in: table, index: CustomerIndex(table), now: query.now)
        {
            if candidates != nil,
                !policy.isAllowed(user: u, action: query.action, customer: c, in: table, now: query.now)
            {
                continue
            }
            if let packageIndex, table.package[c] != packageIndex { continue }
            if let poolIndex, table.pool[c] != poolIndex { continue }
            if poolIndex == nil, table.pool[c] >= 0 { continue }
            if let t = query.table, table.tableKind(c) != t { continue }
            if let list = query.list {
                if table.tableKind(c) != list.table { continue }
                if let listTeam, table.team[c] != listTeam { continue }
            }
            if let view {
                if let viewPackage, table.package[c] != viewPackage { continue }
                if view.package == nil, table.team[c] != viewTeam || table.tableKind(c) != view.table { continue }
            }
            if let tag = query.tag, !table.tags.items(c).contains(tag) { continue }
            // A selection (a filter, a tag, a table) reads the customer: one the user may not view
            // is never selected, whatever else they may do to it (they name it by its id).
            if query.action != .view,
                !policy.isAllowed(user: u, action: .view, customer: c, in: table, now: query.now)
            {
                continue
            }
            if query.followed, !table.followers.contains(c, Int32(u)) { continue }
            let access =
                withFieldAccess || !filters.isEmpty || candidates != nil
                ? operations.fieldAccess(user: u, customer: c, in: table, now: query.now) : .unrestricted
            // A location the user may not read (or sees masked) places nobody on their map.
            if candidates != nil,
                !([latField, lngField].allSatisfy { access.canRead($0) && access.masks[$0] == nil })
            {
                continue
            }
            var kept = true
            for (label, filter) in filters {
                // A filter never reads what the user may not: that would find hidden values by bisection.
                if let hidden = filter.fieldsRead.sorted().first(where: {
                    !access.canRead($0) || access.masks[$0] != nil
                }) {
                    throw .refused(
                        "\(label) reads '\(hidden)', which \(actor) may not read on every customer listed; filter on fields they can read"
                    )
                }
                if !filter.condition(AccessContext(user: u, customer: c, customers: table, now: query.now)) {
                    kept = false
                    break
                }
            }
            guard kept else { continue }
            if let near = query.near {
                let id = table.ids[c]
                let document: JSONValue?
                do { document = try operations.store.document(id) } catch { throw .store(error) }
                guard let document, let distance = Self.distance(of: document, from: near), distance <= near.radius
                else { continue }
                distances?[id] = distance
                read[id] = document
            }
            rows.append((c, access))
        }
        return (table, view, rows, distances, read)
    }

    /// The customers of the grid cells within reach of the point (some farther than the radius).
    func cellCustomers(_ near: Near) throws(OperationError) -> Set<String> {
        let unique = operations.unique
        guard unique.locating.contains(true) else {
            let (lat, lng) = UniqueKeys.locationFields
            throw .invalid([
                "--near reads a customer's '\(lat)' and '\(lng)' (decimals), which no table of this config has; they are standard fields (extends: [standard-fields])"
            ])
        }
        let held: UniqueValues
        do { held = try operations.store.uniqueValues(layout: unique.layout, keys: unique.keys(ofDocument:)) } catch {
            throw .store(error)
        }
        var found: Set<String> = []
        for key in GeoGrid.cells(around: near.lat, near.lng, radius: near.radius) {
            found.formUnion(held.ids(holding: key))
        }
        return found
    }

    /// How far (km) a customer's location is from the point; nil without one.
    static func distance(of document: JSONValue, from near: Near) -> Double? {
        guard let fields = document["fields"], case .number(let latText)? = fields[UniqueKeys.locationFields.0],
            case .number(let lngText)? = fields[UniqueKeys.locationFields.1], let lat = Double(latText),
            let lng = Double(lngText)
        else { return nil }
        return GeoGrid.distance(near.lat, near.lng, lat, lng)
    }

    /// Customer numbers in order: by prefix, then by the number after it (P9 before P10).
    package static func numberOrder(_ a: String, _ b: String) -> Bool {
        let pa = a.prefix { !$0.isNumber }
        let pb = b.prefix { !$0.isNumber }
        if pa != pb { return pa < pb }
        let na = a.dropFirst(pa.count).drop { $0 == "0" }
        let nb = b.dropFirst(pb.count).drop { $0 == "0" }
        if na.count != nb.count { return na.count < nb.count }
        return na == nb ? a < b : na < nb
    }

    /// `--search`: name, phones, e-mail and number, ignoring case (phones also by digits).
    static func matches(_ document: JSONValue, _ needle: String) -> Bool {
        if document["id"]?.stringValue?.lowercased().contains(needle) == true { return true }
        let digits = needle.filter(\.isNumber)
        for key in ["name", "phone1", "phone2", "email"] {
            guard let value = document["fields"]?[key]?.stringValue else { continue }
            if value.lowercased().contains(needle) { return true }
            if key.hasPrefix("phone"), digits.count >= 3, value.filter(\.isNumber).contains(digits) { return true }
        }
        return false
    }

    /// Fields in the view's order (the rest follow), without its hidden ones.
    package static func arranged(_ document: JSONValue, _ view: View?) -> JSONValue {
        guard let view, case .object(var members) = document, let k = members.firstIndex(where: { $0.0 == "fields" }),
            case .object(let fields) = members[k].1
        else { return document }
        let hidden = Set(view.hidden)
        let order = view.module == .campaign ? view.backgroundFields + view.agentFields + view.order : view.order
        let kept = fields.filter { !hidden.contains($0.0) }
        let ordered = order.compactMap { name in kept.first { $0.0 == name } } + kept.filter { !order.contains($0.0) }
        members[k].1 = .object(ordered)
        return .object(members)
    }
}

extension CustomerOperations {
    /// The identities of the fields `hidden: true` keeps out of sight on this table or package.
    func hiddenFields(team: String, table: TableKind, package: String?) -> Set<String> {
        config.records.validatorIndex(team: team, table: table, package: package).map {
            config.records.validators[$0].hiddenIdentities
        } ?? []
    }

    /// A document as the field access allows: unreadable fields (the hidden ones
    /// among them) left out, masked ones masked.
    func masked(_ document: JSONValue, _ access: FieldAccess) -> JSONValue {
        guard case .object(var members) = document, let k = members.firstIndex(where: { $0.0 == "fields" }),
            case .object(let fields) = members[k].1
        else { return document }
        members[k].1 = .object(
            fields.compactMap { name, value in
                guard access.canRead(name) else { return nil }
                if let mask = access.masks[name] { return (name, FieldAccess.masked(value, mask)) }
                return (name, value)
            })
        return .object(members)
    }
}
