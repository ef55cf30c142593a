import ClienteleCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The store's single-writer lock: an exclusive `flock` on the store's folder, with
/// `<store>/lock` recording who holds it, so a writer that waits too long can say who to wait for.
/// The kernel releases the lock when the holder exits, even after kill -9.
package final class StoreLock {
    private let fd: Int32
    package let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Waits up to `timeout` seconds for the lock; then fails, naming the holder.
    ///
    /// The lock is taken on the store's folder itself, which nobody removes while it
    /// holds data: deleting the `lock` file (which only says who holds the lock) lets
    /// no second writer in.
    package static func acquire(in directory: String, holder: String, timeout: Double) throws(StoreError) -> StoreLock {
        let path = directory + "/lock"
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw .system("cannot open the store folder", directory) }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(fd)
                throw .system("cannot lock", directory)
            }
            if Date() >= deadline {
                let who = Self.holder(path) ?? "another process"
                close(fd)
                throw StoreError(
                    "the store is busy: \(who) holds its lock (\(path)); waited \(Self.seconds(timeout)), try again when it has finished"
                )
            }
            usleep(10_000)
        }
        let info = "pid \(getpid()), \(holder), since \(Timestamp.now())\n"
        unlink(path + ".tmp")
        let note = open(path + ".tmp", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if note >= 0 {
            _ = info.withCString { write(note, $0, strlen($0)) }
            close(note)
            rename(path + ".tmp", path)
        }
        return StoreLock(fd: fd, path: path)
    }

    private static func holder(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    private static func seconds(_ t: Double) -> String {
        t == t.rounded() ? "\(Int(t)) s" : String(format: "%.1f s", t)
    }
}
