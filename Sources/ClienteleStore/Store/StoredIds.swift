import ClienteleCore

/// `index/ids.bin`: the document log's id index as it stood at a committed position,
/// read in place, so that opening a large store reads only the lines written after
/// that position instead of every line of the log.
///
/// Like the access columns it is a cache, never the truth: it is used only when its
/// checksum, its position (the commit line of its batch must be there) and the sizes
/// of the segments before that position all check out; otherwise the whole log is
/// read, as without it. `store verify` compares it with a reading of the whole log.
///
/// Its body: four sections, each preceded by its length (8 bytes):
/// the facts as JSON (next batch, whether batches carry checksums, the sizes of the
/// segments before the position's, the highest number per id prefix); the live ids
/// (a `StoredHashTable` of id to location); the retired ids (the same, with empty
/// values); the log entries' locations (16 bytes each, oldest first).
final class StoredIds {
    package static let key = "ids 1"

    let file: MappedFile
    let position: DocumentLog.Position
    /// The mark of the commit line at `position` (`DocumentLog.mark(of:)`).
    let mark: UInt64
    let live: StoredHashTable
    let retired: StoredHashTable
    let logLocations: [DocumentLog.Location]
    let nextBatch: Int
    let checksummed: Bool
    /// The size of each segment before the position's: closed segments never change.
    let segmentSizes: [Int]
    let numbers: [String: Int]

    private init?(file: MappedFile, body: UnsafeRawBufferPointer, position: DocumentLog.Position, mark: UInt64) {
        var sections: [UnsafeRawBufferPointer] = []
        var offset = 0
        while offset + 8 <= body.count, sections.count < 4 {
            let length = Int(body.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
            guard length >= 0, length <= body.count - offset else { return nil }
            sections.append(UnsafeRawBufferPointer(rebasing: body[offset..<(offset + length)]))
            offset += length
        }
        guard sections.count == 4, offset == body.count,
            let meta = try? JSONValue.parse(String(decoding: sections[0], as: UTF8.self)),
            case .number(let next)? = meta["next_batch"], let nextBatch = Int(next),
            case .bool(let checksummed)? = meta["checksummed"], case .array(let sizes)? = meta["segments"],
            case .object(let numbers)? = meta["numbers"],
            let live = StoredHashTable(sections[1]), let retired = StoredHashTable(sections[2]),
            sections[3].count % 16 == 0
        else { return nil }
        self.file = file
        self.position = position
        self.mark = mark
        self.live = live
        self.retired = retired
        self.nextBatch = nextBatch
        self.checksummed = checksummed
        segmentSizes = sizes.compactMap { if case .number(let n) = $0 { return Int(n) } else { return nil } }
        self.numbers = Dictionary(
            numbers.compactMap { key, value in
                if case .number(let n) = value, let k = Int(n) { return (key, k) } else { return nil }
            },
            uniquingKeysWith: max)
        let locations = sections[3]
        logLocations = (0..<(locations.count / 16)).map {
            Self.location(UnsafeRawBufferPointer(rebasing: locations[($0 * 16)..<($0 * 16 + 16)]))
        }
        guard segmentSizes.count == Int(position.segment) - 1 else { return nil }
    }

    /// The file at `path` when it is whole; nil when missing or damaged.
    static func load(path: String) -> StoredIds? {
        guard let (file, body, position, mark) = SnapshotFile(path: path).map(key: key) else { return nil }
        return StoredIds(file: file, body: body, position: position, mark: mark)
    }

    func location(_ id: String) -> DocumentLog.Location? {
        var id = id
        return id.withUTF8 { key in live.firstValue(of: UnsafeRawBufferPointer(key)).map(Self.location) }
    }

    func isRetired(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { retired.contains(UnsafeRawBufferPointer($0)) }
    }

    static func location(_ bytes: UnsafeRawBufferPointer) -> DocumentLog.Location {
        DocumentLog.Location(
            segment: bytes.loadUnaligned(fromByteOffset: 0, as: Int32.self),
            offset: Int(bytes.loadUnaligned(fromByteOffset: 8, as: Int64.self)),
            length: bytes.loadUnaligned(fromByteOffset: 4, as: Int32.self))
    }

    static func bytes(_ location: DocumentLog.Location) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        withUnsafeBytes(of: location.segment) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: location.length) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: Int64(location.offset)) { out.append(contentsOf: $0) }
        return out
    }

    /// Writes the file (through a temporary file and a rename); false when it could not.
    @discardableResult
    static func save(
        path: String, position: DocumentLog.Position, mark: UInt64, live: [(String, DocumentLog.Location)],
        retired: [String],
        logLocations: [DocumentLog.Location], nextBatch: Int, checksummed: Bool, segmentSizes: [Int],
        numbers: [String: Int]
    ) -> Bool {
        var ids = StoredHashTableBuilder(capacity: live.count)
        for (id, location) in live {
            var id = id
            let value = bytes(location)
            id.withUTF8 { key in value.withUnsafeBytes { ids.add(key: UnsafeRawBufferPointer(key), value: $0) } }
        }
        var gone = StoredHashTableBuilder(capacity: retired.count)
        for id in retired { gone.add(key: Array(id.utf8), value: []) }
        let meta: JSONValue = .object([
            ("next_batch", .number(String(nextBatch))), ("checksummed", .bool(checksummed)),
            ("segments", .array(segmentSizes.map { .number(String($0)) })),
            ("numbers", .object(numbers.sorted { $0.key < $1.key }.map { ($0.key, .number(String($0.value))) })),
        ])
        guard let liveBytes = ids.bytes(), let retiredBytes = gone.bytes() else { return false }
        var locations: [UInt8] = []
        locations.reserveCapacity(logLocations.count * 16)
        for location in logLocations { locations += bytes(location) }
        var body: [UInt8] = []
        body.reserveCapacity(liveBytes.count + retiredBytes.count + locations.count + 4_096)
        for section in [Array(meta.jsonText.utf8), liveBytes, retiredBytes, locations] {
            withUnsafeBytes(of: UInt64(section.count)) { body.append(contentsOf: $0) }
            body += section
        }
        return SnapshotFile(path: path).save(key: key, position: position, mark: mark, body: body)
    }
}
