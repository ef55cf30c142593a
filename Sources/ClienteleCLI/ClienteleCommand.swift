import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

@main
enum Main {
    static func main() {
        // A misspelt command is named as such (the parser would report the first option it cannot place).
        if let problem = UnknownCommand.find(Array(CommandLine.arguments.dropFirst()), in: ClienteleCommand.self) {
            Terminal.error(problem.message)
            Terminal.err("See '\(problem.help) --help' for the commands.\n")
            exit(64)
        }
        do {
            var command = try ClienteleCommand.parseAsRoot()
            try command.run()
        } catch {
            if let code = Failure.report(error) { exit(code) }
            ClienteleCommand.exit(withError: error)
        }
    }
}

struct ClienteleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clientele",
        abstract:
            "Rules and schema for CRM customer data: validate, test, plan and apply a config, and run the customer operations.",
        version: ClienteleVersion.string,
        subcommands: [
            ValidateCommand.self, TestCommand.self, InitCommand.self, TemplateCommand.self, ImportCommand.self,
            PlanCommand.self, ApplyCommand.self, HistoryCommand.self, RollbackCommand.self, PoolCommand.self,
            CustomerCommand.self, CanCommand.self, WhoCanCommand.self, VisibleCommand.self, LogCommand.self,
            ShareCommand.self, UnshareCommand.self, TagCommand.self, ExportCommand.self, StoreCommand.self,
            ServeCommand.self, KeyCommand.self, DescribeCommand.self, BinCommand.self, RecordCommand.self,
        ]
    )
}

/// Finds a word where a command is expected that names none.
enum UnknownCommand {
    /// The message, and the command whose help lists what may come there.
    static func find(_ arguments: [String], in root: ParsableCommand.Type) -> (message: String, help: String)? {
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
            // Any command of the tree may be meant: `clientele follow` for `clientele customer follow`,
            // `clientele customer share` for `clientele share`. The same last word first, then the closest.
            let everywhere = paths(root)
            let exact = everywhere.filter { $0.last == word }.min { $0.count < $1.count }
            let close = Suggestion.closest(to: word, in: everywhere.compactMap(\.last)).flatMap { last in
                everywhere.filter { $0.last == last }.min { $0.count < $1.count }
            }
            let suggestion = (exact ?? close).map { "; did you mean 'clientele \($0.joined(separator: " "))'?" } ?? ""
            let place = (["clientele"] + path).joined(separator: " ")
            return ("'\(word)' is not a command of \(place)\(suggestion)", place)
        }
        return nil
    }

    /// Every command below `command`, as the words that name it.
    static func paths(_ command: ParsableCommand.Type, _ prefix: [String] = []) -> [[String]] {
        command.configuration.subcommands.flatMap { sub -> [[String]] in
            let here = prefix + [name(of: sub)]
            return [here] + paths(sub, here)
        }
    }

    static func name(of command: ParsableCommand.Type) -> String {
        command.configuration.commandName ?? String(describing: command).lowercased()
    }
}
