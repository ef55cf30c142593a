import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Load, resolve and check the whole config; print every problem with its file, line and column.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "text or json") var format: OutputFormat = .text

    func run() throws {
        let directory = try options.directory()
        let prefix = directory.displayPrefix
        let (config, diagnostics, files) = directory.compile()
        switch format {
        case .json:
            Terminal.out(DiagnosticJSON.document(diagnostics).jsonText + "\n")
        case .text:
            Terminal.printDiagnostics(diagnostics, files: files)
            if let config {
                let m = config.model
                let counts = [
                    count(m.organization.teams.count, "team"), count(m.organization.users.count, "user"),
                    count(m.schema.packages.count, "package"), count(m.schema.customizations.count, "custom field"),
                    count(m.rules.count, "rule"), count(m.pools.count, "pool"),
                ]
                Terminal.out(
                    "\(prefix.isEmpty ? "config" : String(prefix.dropLast())) is valid: \(counts.joined(separator: ", "))\n"
                )
            } else {
                let errors = diagnostics.filter { $0.severity == .error }.count
                Terminal.err("\(errors) \(errors == 1 ? "error" : "errors")\n")
            }
        }
        if config == nil { throw ExitCode(1) }
    }

    private func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
