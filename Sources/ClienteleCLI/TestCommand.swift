import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the config's rule tests (tests:) against the compiled rules; exit 1 if any fails.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "text or json") var format: OutputFormat = .text

    func run() throws {
        let config = try options.compile()
        let report = ConfigDirectory.runTests(config)
        if format == .json {
            Terminal.out(
                JSONValue.object([
                    ("tests", .number(String(report.tests))), ("checks", .number(String(report.checks))),
                    ("passed", .number(String(report.checks - report.failures.count))),
                    ("failures", .array(report.failures.map(DiagnosticJSON.value))),
                ]).jsonText + "\n")
            if !report.failures.isEmpty { throw ExitCode(1) }
            return
        }
        Terminal.printDiagnostics(report.failures, files: config.loaded.files)
        let summary =
            "\(report.tests) \(report.tests == 1 ? "test" : "tests"), \(report.checks) \(report.checks == 1 ? "check" : "checks"): \(report.checks - report.failures.count) passed, \(report.failures.count) failed\n"
        if report.failures.isEmpty {
            Terminal.out(summary)
        } else {
            Terminal.err(summary)
            throw ExitCode(1)
        }
    }
}
