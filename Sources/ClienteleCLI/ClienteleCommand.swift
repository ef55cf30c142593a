import ArgumentParser
import Clientele

@main
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
