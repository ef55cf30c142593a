#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A read-only memory map of a whole file, so that imports of a gigabyte of
/// JSON Lines neither copy it nor hold it twice.
public final class MappedFile {
    /// The file mapped.
    public let path: String
    /// The file's bytes, valid while this object lives.
    public let bytes: UnsafeBufferPointer<UInt8>
    private let length: Int

    /// Why a file could not be mapped.
    public struct OpenError: Error, CustomStringConvertible {
        /// What went wrong, with the file's path.
        public var description: String
    }

    /// `followLinks: false` refuses a symbolic link (the store's own files).
    public init(path: String, followLinks: Bool = true) throws(OpenError) {
        self.path = path
        // Not blocking: a FIFO put where a file should be is refused below, not waited on.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followLinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { throw OpenError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw OpenError(description: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw OpenError(description: "\(path) is a directory, not a file") }
        if (info.st_mode & S_IFMT) != S_IFREG {
            throw OpenError(description: "\(path) is not a regular file (a pipe or a device cannot be read whole)")
        }
        length = Int(info.st_size)
        if length == 0 {
            bytes = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        guard let map = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw OpenError(description: "cannot map \(path): \(String(cString: strerror(errno)))")
        }
        madvise(map, length, MADV_SEQUENTIAL)
        bytes = UnsafeBufferPointer(start: map.assumingMemoryBound(to: UInt8.self), count: length)
    }

    deinit {
        if length > 0, let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), length) }
    }
}
