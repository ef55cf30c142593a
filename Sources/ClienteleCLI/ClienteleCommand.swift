import ArgumentParser
import Foundation
import Clientele

@main
enum Main {
    static func main() {
        // A misspelt command is named as such (the parser would report the first option it cannot place).
        if let problem = UnknownCommand.find(Array(CommandLine.arguments.dropFirst()), in: ClienteleCommand.self) {
            Terminal.error(problem)
            Terminal.err("See 'clientele --help' for the commands.\n")
            exit(64)
        }
        ClienteleCommand.main()
    }
}

struct ClienteleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clientele",
        abstract: "Rules and schema for CRM customer data: validate, test, plan and apply a config, and run the customer operations.",
        version: ClienteleVersion.string,
        subcommands: [
            ValidateCommand.self, TestCommand.self, InitCommand.self, TemplateCommand.self, ImportCommand.self, PlanCommand.self, ApplyCommand.self, HistoryCommand.self, RollbackCommand.self, PoolCommand.self, CustomerCommand.self, CanCommand.self, WhoCanCommand.self, VisibleCommand.self, LogCommand.self, ShareCommand.self, UnshareCommand.self, TagCommand.self, ExportCommand.self, StoreCommand.self,
        ]
    )
}

/// Finds a word where a command is expected that names none.
enum UnknownCommand {
    static func find(_ arguments: [String], in root: ParsableCommand.Type) -> String? {
        var command = root
        var path: [String] = []
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-"), word != "help" else { return nil }
            if let next = subcommands.first(where: { name(of: $0) == word }) {
                command = next
                path.append(word)
                continue
            }
            let here = subcommands.map { (path + [name(of: $0)]).joined(separator: " ") }
            // A command of the level below, named without its group: `clientele follow` for `clientele customer follow`.
            let below = subcommands.flatMap { group in group.configuration.subcommands.map { (path + [name(of: group), name(of: $0)]).joined(separator: " ") } }
            let exact = below.first { $0.hasSuffix(" " + word) }
            let suggestion = exact.map { "; did you mean '\($0)'?" }
                ?? Suggestion.didYouMean((path + [word]).joined(separator: " "), in: here + below)
            let place = path.isEmpty ? "clientele" : "clientele " + path.joined(separator: " ")
            return "'\(word)' is not a command of \(place)\(suggestion)"
        }
        return nil
    }

    static func name(of command: ParsableCommand.Type) -> String {
        command.configuration.commandName ?? String(describing: command).lowercased()
    }
}
