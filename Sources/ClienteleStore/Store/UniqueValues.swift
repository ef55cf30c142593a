import ClienteleCore

/// The values of `unique` fields and the customers that hold them, kept beside the log
/// in `index/unique.bin`, so that a write checks uniqueness without parsing every
/// document. Like the access columns it is a cache made at a committed position for
/// one layout (the unique fields of the applied config): the documents written since
/// are read on top of it, and it is made again from every document when it is missing,
/// made for other fields, damaged, or far behind the log.
///
/// Nothing changes after it is made, so threads may read it at once.
/// Keys are whatever the caller derives from a document (`UniqueKeys`: the field's
/// place, identity and normalised value); values are customer ids.
package final class UniqueValues: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer?
    private let file: MappedFile?
    private let base: StoredHashTable?
    /// Customers written after the file's position: what the file says of them is stale.
    private let stale: Set<String>
    private let recent: [String: [String]]

    init(
        file: MappedFile?, bytes: [UInt8]?, base: UnsafeRawBufferPointer?, stale: Set<String>,
        recent: [String: [String]]
    ) {
        self.file = file
        if let bytes {
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
            bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
            storage = copy
            self.base = StoredHashTable(UnsafeRawBufferPointer(rebasing: copy[..<bytes.count]))
        } else {
            storage = nil
            self.base = base.flatMap(StoredHashTable.init)
        }
        self.stale = stale
        self.recent = recent
    }

    deinit { storage?.deallocate() }

    /// The customers whose document holds `key` now.
    package func ids(holding key: String) -> [String] {
        var found = recent[key] ?? []
        var key = key
        key.withUTF8 { k in
            base?.forEachValue(of: UnsafeRawBufferPointer(k)) { value in
                Self.forEachId(in: value) { id in if !stale.contains(id) { found.append(id) } }
            }
        }
        return found
    }

    /// Every key with the customers holding it, ids sorted (for `store verify`).
    package func all() -> [String: [String]] {
        var result = recent
        base?.forEach { key, value in
            Self.forEachId(in: value) { id in
                if !stale.contains(id) { result[String(decoding: key, as: UTF8.self), default: []].append(id) }
            }
        }
        return result.mapValues { $0.sorted() }
    }

    /// The ids of one entry: every customer holding its key, separated by a zero byte
    /// (one entry per key: a key many customers share, as a matching rule's, is no long
    /// run of equal keys for the table to probe through).
    private static func forEachId(in value: UnsafeRawBufferPointer, _ body: (String) -> Void) {
        var start = 0
        for i in 0...value.count where i == value.count || value[i] == 0 {
            body(String(decoding: UnsafeRawBufferPointer(rebasing: value[start..<i]), as: UTF8.self))
            start = i + 1
        }
    }

    static let fileKey = "unique 2\n"

    /// `keys` gives a document's id and its keys (nil for a document it cannot read).
    static func load(
        store: JSONFileStore, layout: String,
        keys: @Sendable (UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])?
    ) throws(StoreError) -> UniqueValues {
        let log = store.log
        let snapshot = SnapshotFile(path: store.path + "/index/unique.bin")
        if let (file, body, position, mark) = snapshot.map(key: fileKey + layout),
            log.isCommitBoundary(position, mark: mark)
        {
            let written = try log.idsWritten(after: position)
            if written.count <= 1_000 + log.count / 16 {
                var recent: [String: [String]] = [:]
                try log.forEachDocument(of: written, writtenAfter: position) { bytes in
                    guard let (id, list) = keys(bytes) else { return }
                    for key in list { recent[key, default: []].append(id) }
                }
                return UniqueValues(file: file, bytes: nil, base: body, stale: Set(written), recent: recent)
            }
        }
        let bytes = try fromDocuments(of: store, keys: keys)
        if store.writesCaches { snapshot.save(key: fileKey + layout, log: log, body: bytes) }
        return UniqueValues(file: nil, bytes: bytes, base: nil, stale: [], recent: [:])
    }

    /// The table made from every document, on both cores.
    static func fromDocuments(
        of store: any CustomerStore, keys: @Sendable (UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])?
    ) throws(StoreError) -> [UInt8] {
        /// What one worker found; each worker writes only its own.
        final class Part: @unchecked Sendable { var pairs: [(key: String, id: String)] = [] }
        let parts = [Part(), Part()]
        try store.forEachDocumentConcurrently(workers: parts.count) { w, bytes in
            guard let (id, list) = keys(bytes) else { return }
            for key in list { parts[w].pairs.append((key, id)) }
        }
        // One entry per key, its ids joined by a zero byte (ids never hold one).
        var grouped: [String: [UInt8]] = [:]
        grouped.reserveCapacity(parts.reduce(0) { $0 + $1.pairs.count })
        for part in parts {
            for (key, id) in part.pairs {
                if let i = grouped.index(forKey: key) {
                    grouped.values[i].append(0)
                    grouped.values[i].append(contentsOf: id.utf8)
                } else {
                    grouped[key] = Array(id.utf8)
                }
            }
        }
        var builder = StoredHashTableBuilder()
        for (key, ids) in grouped { builder.add(key: Array(key.utf8), value: ids) }
        guard let bytes = builder.bytes() else {
            throw StoreError(
                "the values of unique fields pass 4 GiB, more than index/unique.bin holds; uniqueness cannot be checked"
            )
        }
        return bytes
    }

    /// Made from every document, without reading or writing the file.
    package static func fromDocuments(
        store: any CustomerStore, keys: @Sendable (UnsafeBufferPointer<UInt8>) -> (id: String, keys: [String])?
    ) throws(StoreError) -> UniqueValues {
        UniqueValues(file: nil, bytes: try fromDocuments(of: store, keys: keys), base: nil, stale: [], recent: [:])
    }
}
