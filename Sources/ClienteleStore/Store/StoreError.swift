import ClienteleCore
import Foundation

/// A problem with the document store, in words an administrator can act on.
package struct StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    package var message: String
    /// The file of the store the problem is in, when it is one file.
    package var file: String?

    package init(_ message: String, file: String? = nil) {
        self.message = message
        self.file = file
    }

    package var description: String { message }

    /// Makes sure `path` is a real folder (created 0700 when missing), never a symbolic link.
    static func ensureDirectory(_ path: String) throws(StoreError) {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw StoreError("\(path) is a symbolic link or a file, not a folder; the store follows no links")
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, lstat(parent, &info) != 0 {
            do {
                try FileManager.default.createDirectory(
                    atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StoreError("cannot create \(parent): \(error.localizedDescription)")
            }
        }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw .system("cannot create", path) }
    }

    /// Refuses a folder of the store that is a symbolic link (a missing one is fine: nothing is read from it).
    static func requireFolder(_ path: String) throws(StoreError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw StoreError("\(path) is a symbolic link or a file, not a folder; the store follows no links")
        }
    }

    /// A call to the system about one of the store's files failed (the disk, its
    /// permissions, the file gone): `file` names it.
    /// Running out of file descriptors (EMFILE, ENFILE) is the process's state, not
    /// the file's: it names no file.
    static func system(_ what: String, _ path: String) -> StoreError {
        let code = errno
        return StoreError(
            "\(what) \(path): \(String(cString: strerror(code)))", file: code == EMFILE || code == ENFILE ? nil : path)
    }

    /// Whether another process holds the store's lock (`StoreLock.acquire` timed out).
    package var isBusy: Bool { message.hasPrefix("the store is busy") }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
