import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// A file read through a memory map that another program cuts short raises SIGBUS
/// on the next read of a lost page. Instead of dying of the signal, the command says
/// which file it was and exits 1; it had stored nothing yet (a batch is committed
/// only after everything it holds was read).
enum ReadFault {
    /// The message the handler writes, made before the signal can arrive: a handler may
    /// only call what is safe in a signal handler (write and _exit).
    nonisolated(unsafe) private static var message: [CChar] = Array(
        "error: a file this command was reading was cut short by another program; nothing was stored\n".utf8CString)

    /// Watches `file` (the import's input) from now on.
    static func watch(_ file: String) {
        message = Array("error: \(file) was cut short while it was read; nothing was stored\n".utf8CString)
        install()
    }

    static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            ReadFault.message.withUnsafeBufferPointer { buffer in
                _ = write(2, buffer.baseAddress, buffer.count - 1)
            }
            _exit(1)
        }
        sigemptyset(&action.sa_mask)
        sigaction(SIGBUS, &action, nil)
    }
}
