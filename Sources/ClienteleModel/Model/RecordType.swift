/// Where a customer record's fields are defined: the main table of a team, or a
/// package of that team and table. Plans count and name their effects per type.
package struct RecordType: Hashable, Sendable, CustomStringConvertible {
    package var team: String
    package var table: TableKind
    package var package: String?

    package init(team: String, table: TableKind, package: String? = nil) {
        self.team = team
        self.table = table
        self.package = package
    }

    /// How plans name it: `package 'spring'`, `the individual table of team 'sales'`.
    package var description: String {
        package.map { "package '\($0)'" } ?? "the \(table.rawValue) table of team '\(team)'"
    }
}

extension TableKind {
    /// The table's position in `allCases`.
    package var ordinal: Int { Self.allCases.firstIndex(of: self)! }

    /// The one layout of per-(team, table) arrays: a slot per table of each team,
    /// teams in their index order.
    package static func slot(team: Int, table: Int) -> Int { team * allCases.count + table }
}
