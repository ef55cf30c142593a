import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// Files a command writes because it was asked to (`--out`, `--rejects`): never inside
/// the store, written in place to a device, a FIFO or `-` (standard output), and
/// otherwise through a temporary file renamed over the target, so a reader sees the
/// old file or the new one.
enum OutputPath {
    /// Refuses (exit 1) a path inside the store directory of the config: writing there
    /// could replace a log segment or the lock.
    static func check(_ path: String, option: String, options: ConfigOptions) throws {
        guard path != "-" else { return }
        let store = resolved(try options.directory().storePath)
        let target = resolved(path)
        if target == store || target.hasPrefix(store + "/") {
            Terminal.error("\(option) \(path) is inside the store (\(store)); write it somewhere else")
            throw ExitCode(1)
        }
        // Checked before the command does anything, so a write that is refused here never follows a stored change.
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isFolder), isFolder.boolValue {
            Terminal.error("\(option) \(path) is a folder; name a file")
            throw ExitCode(1)
        }
        let folder = (target as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            Terminal.error("\(option) \(path): \(folder) is not a folder")
            throw ExitCode(1)
        }
        guard access(folder.isEmpty ? "." : folder, W_OK) == 0 else {
            Terminal.error("\(option) \(path): cannot write into \(folder): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
    }

    /// The absolute path with every link that exists resolved (the last part may not exist yet).
    static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if let real = realpath(url.path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let parent = url.deletingLastPathComponent().path
        guard parent != url.path else { return url.path }
        return resolved(parent) + "/" + url.lastPathComponent
    }

    static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        if path == "-" {
            Terminal.out(String(decoding: bytes, as: UTF8.self))
            return
        }
        // Through a link to the file it names: the link stays.
        let path = resolved(path)
        var info = stat()
        let special = stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG
        let target = special ? path : path + ".clientele-tmp-\(getpid())"
        let fd = Glibc.open(target, O_WRONLY | O_CREAT | O_CLOEXEC | (special ? 0 : O_TRUNC | O_EXCL), 0o600)
        guard fd >= 0 else { return try fail(path) }
        guard FileWriting.writeAll(fd, bytes) else {
            let failure = errno
            close(fd)
            if !special { unlink(target) }
            errno = failure
            return try fail(path)
        }
        if !special {
            guard fsync(fd) == 0, close(fd) == 0, rename(target, path) == 0 else {
                unlink(target)
                return try fail(path)
            }
        } else {
            close(fd)
        }
    }

    private static func fail(_ path: String) throws {
        Terminal.error("cannot write \(path): \(String(cString: strerror(errno)))")
        throw ExitCode(1)
    }
}
