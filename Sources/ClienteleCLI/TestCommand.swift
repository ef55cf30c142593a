import ArgumentParser
import Clientele

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the config's rule tests (tests:) against the compiled rules; exit 1 if any fails.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let config = try options.compile(format: .text)
        let report = RuleTestRunner(model: config.model, policy: config.access).run()
        Terminal.printDiagnostics(report.failures, files: config.loaded.files)
        let summary = "\(report.tests) \(report.tests == 1 ? "test" : "tests"), \(report.checks) \(report.checks == 1 ? "check" : "checks"): \(report.checks - report.failures.count) passed, \(report.failures.count) failed\n"
        if report.failures.isEmpty {
            Terminal.out(summary)
        } else {
            Terminal.err(summary)
            throw ExitCode(1)
        }
    }
}
