import ClienteleCore
import ClienteleSpec

/// A kind of record related to customers (`related:`), resolved: each record of it
/// belongs to one customer of a `parents` table, numbered by `numbering`, with `fields`.
package struct RelatedKind: Sendable {
    /// Who may view, edit and delete a record of the kind.
    package enum Access: String, Sendable, CaseIterable {
        /// Exactly who may view, edit and delete its customer.
        case inherit
    }

    package var id: String
    package var name: String?
    package var team: String
    package var parents: [TableKind]
    package var numbering: Numbering
    package var access: Access
    /// The kind a record of this one belongs to, of the same customer (an asset's site).
    package var within: String?
    /// The kind's fields, in display order. Each is `mainTable` of the kind's team; its
    /// `table` is the kind's first parent and means nothing more.
    package var fields: [Field]
    package var location: SourceLocation

    /// "related kind 'contacts'": how messages name a kind.
    package var subject: String { "related kind '\(id)'" }

    /// Whether a customer of `table` may own a record of the kind.
    package func accepts(parent table: TableKind) -> Bool { parents.contains(table) }

    /// The number digits a kind takes when its `number` gives none.
    package static let defaultDigits = 7
}
