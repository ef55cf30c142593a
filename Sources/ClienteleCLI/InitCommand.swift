import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a starter config into a directory (from the examples that ship with clientele).")

    @Argument(help: ArgumentHelp("Where to write it (default: the current directory).", valueName: "directory"))
    var target: String?
    @Option(
        help: ArgumentHelp(
            "The example to start from: \(ExampleConfig.all.map(\.name).joined(separator: ", ")).", valueName: "name"))
    var example: String = ExampleConfig.defaultName

    var directory: String { target ?? "." }

    func run() throws {
        guard let chosen = ExampleConfig.named(example) else {
            Terminal.error(
                "there is no example '\(example)'\(Suggestion.hint(example, in: ExampleConfig.all.map(\.name), listing: "examples"))"
            )
            throw ExitCode(64)
        }
        do {
            let written = try chosen.write(to: URL(fileURLWithPath: directory))
            for path in written {
                Terminal.out(
                    "wrote \(directory == "." ? "" : directory.hasSuffix("/") ? directory : directory + "/")\(path)\n")
            }
            Terminal.out("next: clientele validate\(directory == "." ? "" : " --config \(directory)")\n")
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
    }
}
