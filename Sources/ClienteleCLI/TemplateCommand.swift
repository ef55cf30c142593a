import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Write the CSV import template (a header of display names) of a table or package.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "individual, organization or work_order") var table: String
    @Option(help: "A package of that table.") var package: String?
    @Option(help: "The team (needed when the config has several and no package is given).") var team: String?
    @Option(help: "Write to this file instead of standard output.") var out: String?

    func run() throws {
        let config = try options.appliedOrDirectory()
        let header: String
        do {
            header = try ImportTemplate.csvHeader(config.model, team: team, table: table, package: package)
        } catch {
            Terminal.error(error.message)
            throw ExitCode(1)
        }
        guard let out else {
            Terminal.out(header + "\n")
            return
        }
        try OutputPath.check(out, option: "--out", options: options)
        try OutputPath.write(header + "\r\n", to: out)
        if out != "-" {
            Done.say("wrote the \(package.map { "package '\($0)'" } ?? "\(table) table")'s import template to \(out)")
        }
    }
}
