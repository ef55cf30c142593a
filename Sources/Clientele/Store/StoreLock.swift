#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The store's single-writer lock: an exclusive `flock` on `<store>/lock`, which
/// also records who holds it, so a writer that waits too long can say who to wait for.
/// The kernel releases the lock when the holder exits, even after kill -9.
public final class StoreLock {
    private let fd: Int32
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Waits up to `timeout` seconds for the lock; then fails, naming the holder.
    public static func acquire(in directory: String, holder: String, timeout: Double) throws(StoreError) -> StoreLock {
        let path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system("cannot open the lock file", path) }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(fd)
                throw .system("cannot lock", path)
            }
            if Date() >= deadline {
                let who = Self.holder(fd) ?? "another process"
                close(fd)
                throw StoreError("the store is busy: \(who) holds its lock (\(path)); waited \(Self.seconds(timeout)), try again when it has finished")
            }
            usleep(10_000)
        }
        let info = "pid \(getpid()), \(holder), since \(ISO8601DateFormatter().string(from: Date()))\n"
        ftruncate(fd, 0)
        _ = info.withCString { pwrite(fd, $0, strlen($0), 0) }
        return StoreLock(fd: fd, path: path)
    }

    private static func holder(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    private static func seconds(_ t: Double) -> String {
        t == t.rounded() ? "\(Int(t)) s" : String(format: "%.1f s", t)
    }
}
