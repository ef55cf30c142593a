import ClienteleKit
import ClienteleSpec
import ClienteleStore

/// The one place an error of the library becomes messages on stderr and an exit
/// code: 3 when the rules refuse, 1 for everything else (spec/cli.md).
enum Failure {
    /// Prints what `error` says and returns the exit code; nil for an error that is
    /// not the library's (the argument parser's own, an `ExitCode`).
    static func report(_ error: any Error) -> Int32? {
        switch error {
        case let error as OperationError:
            switch error {
            case .refused(let why):
                Terminal.error(why)
                return 3
            case .invalid(let problems), .conflict(let problems):
                for problem in problems { Terminal.error(problem) }
                return 1
            case .notFound(let message):
                Terminal.error(message)
                return 1
            case .store(let error):
                Terminal.error(error.message)
                return 1
            case .config(let diagnostics, let files):
                Terminal.printDiagnostics(diagnostics, files: files)
                return 1
            }
        case let error as StoreError:
            Terminal.error(error.message)
            return 1
        default:
            return nil
        }
    }
}
