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

extension StoreOperation {
    /// Stores a related record's document under its kind and id (new, or replacing the current one).
    package static func putRecord(kind: String, id: String, document: JSONValue) -> StoreOperation {
        .put(id: RecordKey.key(kind: kind, id: id), document: document)
    }

    /// Removes a related record; its id stays retired.
    package static func deleteRecord(kind: String, id: String) -> StoreOperation {
        .delete(id: RecordKey.key(kind: kind, id: id))
    }
}

/// How a store keeps a record related to a customer apart from the customers: under
/// the key `KIND:ID`, which no customer id can be (a customer id holds no `:`). Every
/// walk over the customers (`count`, `ids`, `forEachDocument`, `idsWritten`) passes
/// such keys by; the records are read by kind.
package enum RecordKey {
    static let separator = UInt8(ascii: ":")

    package static func key(kind: String, id: String) -> String { kind + ":" + id }

    /// The kind and id of a record's key; nil for a customer's id.
    package static func split(_ key: String) -> (kind: String, id: String)? {
        guard let k = key.firstIndex(of: ":") else { return nil }
        return (String(key[..<k]), String(key[key.index(after: k)...]))
    }

    /// Whether these bytes are a record's key (they hold the separator).
    @inline(__always) static func isRecord(_ key: UnsafeRawBufferPointer) -> Bool {
        key.contains(separator)
    }

    static func isRecord(_ key: String) -> Bool { key.utf8.contains(separator) }

    /// A record's key: a kind of 1 to 64 letters, digits, `-`, `_`, `.` or `@`, the
    /// separator, and a valid record id.
    static func isValid(_ key: String) -> Bool {
        guard let (kind, id) = split(key), (1...64).contains(kind.utf8.count),
            kind.utf8.allSatisfy({ ValueFormats.isAlpha($0) || ValueFormats.isDigit($0) || "-_.@".utf8.contains($0) })
        else { return false }
        var bytes = id
        return bytes.withUTF8 { ValueFormats.isRecordId($0) }
    }
}

/// A place in a store's history: just after a committed batch. Caches record the
/// position they were made at, and read only what was written since.
package typealias StorePosition = DocumentLog.Position
