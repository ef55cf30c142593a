import ClienteleCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bytes kept beside the document log that were derived from it up to a position
/// (the access columns of every customer), so that opening need not parse every
/// document again. A cache, never the truth: it is used only when its layout key,
/// its checksum and its log position all check out, and it is rebuilt otherwise.
///
///     CLIENTELE SNAPSHOT 2\n
///     key length, key (UTF-8)
///     segment, offset, batch    (the log position)
///     mark                      (the CRC-32C of the commit line that ends there: which log it was made from)
///     body length, checksum, body
///
/// Integers are 8 bytes, in the machine's byte order. It is written to a temporary
/// file and renamed into place, so a reader sees a whole snapshot or the old one.
struct SnapshotFile {
    let path: String

    static let magic = Array("CLIENTELE SNAPSHOT 2\n".utf8)

    /// Calls `body` with the snapshot's body and position when the file is whole and
    /// was made for `key`; nil when there is none or it does not check out.
    /// Only a snapshot made from `log`: its position ends a committed batch of this log,
    /// with the same commit line (a copy from another store of the same length is not used).
    func read<R>(key: String, log: DocumentLog, _ body: (UnsafeRawBufferPointer, DocumentLog.Position) -> R?) -> R? {
        guard let (file, content, position, mark) = map(key: key), log.isCommitBoundary(position, mark: mark) else {
            return nil
        }
        return withExtendedLifetime(file) { body(content, position) }
    }

    /// The mapped file, its body, position and mark, when it is whole and was made for
    /// `key`: for reading in place for as long as the file is kept. The caller checks
    /// the position and mark against the log (`DocumentLog.isCommitBoundary(_:mark:)`).
    func map(key: String) -> (
        file: MappedFile, body: UnsafeRawBufferPointer, position: DocumentLog.Position, mark: UInt64
    )? {
        guard let file = mapped() else { return nil }
        let bytes = UnsafeRawBufferPointer(file.bytes)
        guard let head = Self.head(bytes), head.key.elementsEqual(key.utf8) else { return nil }
        var r = head.reader
        guard let mark: [UInt64] = r.raw(1), let length = r.int(), let checksum: [UInt64] = r.raw(1),
            length == bytes.count - r.offset
        else { return nil }
        let content = UnsafeRawBufferPointer(rebasing: bytes[r.offset...])
        guard Self.checksum(content) == checksum[0] else { return nil }
        return (file, content, head.position, mark[0])
    }

    /// The log position the snapshot says it was made at, whatever its key; nil when
    /// there is no snapshot or its head is not whole.
    func position() -> DocumentLog.Position? {
        guard let file = mapped() else { return nil }
        return Self.head(UnsafeRawBufferPointer(file.bytes))?.position
    }

    /// The key's bytes and the position, and a reader at what follows them.
    private static func head(_ bytes: UnsafeRawBufferPointer) -> (
        key: UnsafeRawBufferPointer, position: DocumentLog.Position, reader: SnapshotReader
    )? {
        var r = SnapshotReader(bytes)
        guard bytes.starts(with: magic) else { return nil }
        r.offset = magic.count
        guard let keyLength = r.int(), keyLength >= 0, keyLength <= bytes.count - r.offset else { return nil }
        let key = UnsafeRawBufferPointer(rebasing: bytes[r.offset..<(r.offset + keyLength)])
        r.offset += keyLength
        guard let segment = r.int(), let offset = r.int(), let batch = r.int(), let s = Int32(exactly: segment) else {
            return nil
        }
        return (key, DocumentLog.Position(segment: s, offset: offset, batch: batch), r)
    }

    /// The file, unless it or its folder is a link (then it is not used, as if missing).
    private func mapped() -> MappedFile? {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        guard directory.isEmpty || (try? StoreError.requireFolder(directory)) != nil else { return nil }
        return try? MappedFile(path: path, followLinks: false)
    }

    /// Writes a snapshot; false when it could not (a store on a read-only disk still works, only slower).
    /// Made from `log` as it ends now.
    @discardableResult
    func save(key: String, log: DocumentLog, body: [UInt8]) -> Bool {
        guard let mark = log.mark(of: log.end) else { return false }
        return save(key: key, position: log.end, mark: mark, body: body)
    }

    @discardableResult
    func save(key: String, position: DocumentLog.Position, mark: UInt64, body: [UInt8]) -> Bool {
        var w = SnapshotWriter()
        w.bytes = Self.magic
        w.string(key)
        w.int(Int(position.segment))
        w.int(position.offset)
        w.int(position.batch)
        w.raw([mark])
        w.int(body.count)
        w.raw([body.withUnsafeBytes(Self.checksum)])
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !directory.isEmpty {
            var info = stat()
            if lstat(directory, &info) != 0 {
                mkdir(directory, 0o700)
            } else if (info.st_mode & S_IFMT) != S_IFDIR {
                return false
            }
        }
        let temporary = path + ".\(getpid()).tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return false }
        let written = FileWriting.writeAll(fd, w.bytes) && FileWriting.writeAll(fd, body)
        close(fd)
        guard written, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    /// CRC-32C of the body (the processor's instruction, as for the log's batches),
    /// with the body's length above it: every open checks it, so it must be fast.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(Checksum.crc32c(bytes.assumingMemoryBound(to: UInt8.self))) | UInt64(bytes.count) << 32
    }
}
