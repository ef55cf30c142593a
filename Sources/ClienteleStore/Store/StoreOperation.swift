import ClienteleCore

/// One change of a batch: every store commits a batch of these all or nothing.
package enum StoreOperation: Sendable, Equatable {
    /// Stores a customer's document under its id (new, or replacing the current one).
    case put(id: String, document: JSONValue)
    /// Removes a customer; its id stays retired.
    case delete(id: String)
    /// A customer log entry, committed with the changes it records.
    case log(entry: JSONValue)

    /// The customer a put or delete names; nil for a log entry.
    package var id: String? {
        switch self {
        case .put(let id, _), .delete(let id): return id
        case .log: return nil
        }
    }
}

/// A place in a store's history: just after a committed batch. Caches record the
/// position they were made at, and read only what was written since.
package typealias StorePosition = DocumentLog.Position
