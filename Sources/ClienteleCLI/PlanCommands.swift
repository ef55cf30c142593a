import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

/// A planned change of config, with what the command line adds: the hints it
/// prints, the confirmation it asks for, and the output.
struct TerminalPlan {
    let change: PlannedChange
    var plan: Plan { change.plan }

    /// Plans `source` against the applied version; nil when the store holds no version yet.
    /// `actor`, when given, must be allowed `configure` by the applied version.
    static func make(options: StoreOptions, writer: String?, source: PlannedChange.Source, actor: String?) throws
        -> TerminalPlan?
    {
        if writer != nil { try Clock.checkWriting(options.now) }
        guard
            let change = try PlannedChange.make(
                directory: options.config.directory(), writer: writer, source: source, actor: actor,
                now: options.seconds)
        else {
            return nil
        }
        if !change.diagnostics.isEmpty { Terminal.printDiagnostics(change.diagnostics, files: change.files) }
        return TerminalPlan(change: change)
    }

    /// The first active user the applied version allows `configure`, for the hints.
    var configurer: String? { change.configurer }

    /// A command as the user can run it: `words` (`apply`, `rollback 1`), their --config,
    /// and --as `actor` (by default a user the applied version allows to configure).
    func command(_ words: [String], _ options: StoreOptions, actor: String? = nil, allowDataLoss: Bool = false)
        -> String
    {
        var line = ["clientele"] + words
        if let config = options.config.config { line += ["--config", Shell.path(config)] }
        line += ["--as", Shell.quoted(actor ?? configurer ?? "ADMIN")] + (allowDataLoss ? ["--allow-data-loss"] : [])
        return line.joined(separator: " ")
    }

    /// Prints the plan (text on stdout, its errors as diagnostics on stderr; or one JSON document).
    func print(format: OutputFormat, applying: Bool = false, applyCommand: String = "clientele apply") {
        switch format {
        case .text:
            Terminal.out(
                PlanRenderer(colors: Terminal.colors(1)).render(plan, applying: applying, applyCommand: applyCommand))
            if !plan.errors.isEmpty { Terminal.printDiagnostics(plan.errors, files: change.files) }
        case .json:
            Terminal.out(PlanRenderer.json(plan).jsonText + "\n")
        }
    }

    /// 1 for errors; with `detailed`, 2 for changes; else 0.
    func exitCode(detailed: Bool) -> Int32 {
        if !plan.errors.isEmpty { return 1 }
        return detailed && plan.hasChanges ? 2 : 0
    }

    /// Applies after a confirmation on a terminal (or `--yes`); prints what it did.
    /// `rerun`: the command as given, which `--yes` completes when there is no terminal to ask on.
    /// Returns whether a version was applied.
    @discardableResult
    func apply(
        yes: Bool, allowDataLoss: Bool, actor: String, time: String, format: OutputFormat, rerun: String,
        extra: [(String, JSONValue)] = []
    ) throws -> Bool {
        guard plan.errors.isEmpty else { throw ExitCode(1) }
        guard plan.hasChanges else {
            Terminal.out("Nothing to apply: the store already holds this config (version \(plan.appliedVersion)).\n")
            return false
        }
        // Refused before asking, so that nobody confirms what cannot be applied.
        if let refusal = change.refusal(allowDataLoss: allowDataLoss) {
            Terminal.error(refusal)
            throw ExitCode(1)
        }
        if !yes {
            guard Terminal.isTerminal(0) else {
                Terminal.error(
                    "\(extra.isEmpty ? "apply" : "rollback") asks for a confirmation, and there is no terminal to ask on; review the plan and run '\(rerun) --yes'\(extra.isEmpty ? " (or 'apply --plan FILE' with a saved plan)" : "")"
                )
                throw ExitCode(1)
            }
            Terminal.out("Apply config version \(plan.version)? Type 'yes' to apply: ")
            guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                Terminal.out("Nothing was applied.\n")
                throw ExitCode(1)
            }
        }
        let outcome = try change.apply(allowDataLoss: allowDataLoss, actor: actor, time: time, extra: extra)
        var line =
            "applied config version \(outcome.version) to \(change.store.location): \(outcome.recordsChanged) record\(outcome.recordsChanged == 1 ? "" : "s") migrated"
        if outcome.recordsRemoved > 0 { line += ", \(outcome.recordsRemoved) removed" }
        if let backup = outcome.backup { line += "; what was removed is kept in \(backup)" }
        // With --format json stdout holds the plan alone.
        if format == .json { Terminal.err(line + "\n") } else { Terminal.out(line + "\n") }
        return true
    }
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what applying the config would change: schema, data, access and pools.")

    @OptionGroup var options: StoreOptions
    @Option(help: "text or json") var format: OutputFormat = .text
    @Option(
        help: ArgumentHelp(
            "Save the plan (JSON, with hashes of the config and the data) for 'apply --plan FILE'.", valueName: "file"))
    var out: String?
    @Flag(help: "Exit 2 when there are changes (0 none, 1 errors).") var detailedExitcode = false

    func run() throws {
        if let out { try OutputPath.check(out, option: "--out", options: options.config) }
        guard let planned = try TerminalPlan.make(options: options, writer: nil, source: .directory, actor: nil) else {
            Terminal.out("No store yet: 'clientele apply' creates it and records this config as version 1.\n")
            throw ExitCode(detailedExitcode ? 2 : 0)
        }
        planned.print(format: format, applyCommand: planned.command(["apply"], options))
        if let out {
            try OutputPath.write(PlanRenderer.json(planned.plan).jsonText + "\n", to: out)
        }
        let code = planned.exitCode(detailed: detailedExitcode)
        if code != 0 { throw ExitCode(code) }
    }
}

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract:
            "Apply the config to the store, all or nothing, under the store's lock (the first apply creates the store)."
    )

    @OptionGroup var options: StoreOptions
    @Option(name: .customLong("as"), help: "Who applies: a user the rules allow 'configure' (recorded in the log).")
    var actor: String?
    @Option(
        help: ArgumentHelp(
            "A plan saved by 'plan --out': refused when the config or the data changed since.", valueName: "file"))
    var plan: String?
    @Flag(help: "Only plan: show what apply would do.") var dryRun = false
    @Flag(help: "With --dry-run: exit 2 when there are changes.") var detailedExitcode = false
    @Flag(help: "Apply without asking.") var yes = false
    @Flag(help: "Apply even though values, options or packages with records are removed (a backup is kept).")
    var allowDataLoss = false
    @Option(help: "text or json (the plan's format)") var format: OutputFormat = .text

    func validate() throws {
        if !dryRun && actor == nil {
            throw ValidationError(
                "apply needs --as USER: a user the rules allow 'configure' (an admin), recorded as who applied")
        }
    }

    func run() throws {
        let writer = dryRun ? nil : "clientele apply"
        guard
            let planned = try TerminalPlan.make(
                options: options, writer: writer, source: .directory, actor: dryRun ? nil : actor)
        else {
            if dryRun {
                Terminal.out("No store yet: 'clientele apply' creates it and records this config as version 1.\n")
                throw ExitCode(detailedExitcode ? 2 : 0)
            }
            return try applyFirst(actor!)
        }
        if let plan,
            let problem = planned.change.savedPlanProblem(
                try? String(contentsOfFile: plan, encoding: .utf8), path: plan)
        {
            Terminal.error(problem)
            throw ExitCode(1)
        }
        planned.print(format: format, applying: !dryRun, applyCommand: planned.command(["apply"], options))
        if dryRun {
            let code = planned.exitCode(detailed: detailedExitcode)
            if code != 0 { throw ExitCode(code) }
            return
        }
        let rerun = planned.command(["apply"], options, actor: actor!, allowDataLoss: allowDataLoss)
        try planned.apply(
            yes: yes || plan != nil, allowDataLoss: allowDataLoss, actor: actor!, time: options.time, format: format,
            rerun: rerun)
    }

    /// Creates the store with the directory's config as version 1; the one who applies
    /// must be a user whom that config lets configure (an admin).
    private func applyFirst(_ actor: String) throws {
        try Clock.checkWriting(options.now)
        let config = try options.config.compile()
        let location = try options.config.directory().applyFirst(config, as: actor, time: options.time)
        Terminal.out("applied config version 1 to \(location)\n")
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List the config versions applied to the store.")

    @OptionGroup var options: StoreOptions
    @Option(help: "text or json") var format: OutputFormat = .text

    func run() throws {
        let entries = try options.config.directory().history()
        switch format {
        case .json:
            Terminal.out(
                JSONValue.object([
                    (
                        "versions",
                        .array(
                            entries.map { e in
                                .object([
                                    ("version", e["config_version"] ?? .null), ("applied_at", e["time"] ?? .null),
                                    ("applied_by", e["actor"] ?? .null),
                                    ("rollback_of", e["rollback_of"] ?? .null),
                                ])
                            })
                    )
                ]).jsonText + "\n")
        case .text:
            for (k, e) in entries.enumerated() {
                var line =
                    "version \(e["config_version"]?.jsonText ?? "?")  \(e["time"]?.stringValue ?? "")  \(e["actor"]?.stringValue ?? "")"
                if let back = e["rollback_of"] { line += "  (rollback to version \(back.jsonText))" }
                if k == entries.count - 1 { line += "  (applied)" }
                Terminal.out(line + "\n")
            }
        }
    }
}

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Plan and apply a return to an earlier config version (recorded as a new version).")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The version to return to.") var version: Int
    @Option(name: .customLong("as"), help: "Who applies: a user the rules allow 'configure' (recorded in the log).")
    var actor: String?
    @Flag(help: "Only plan the return.") var dryRun = false
    @Flag(help: "Apply without asking.") var yes = false
    @Flag(help: "Apply even though the return removes values (a backup is kept).") var allowDataLoss = false
    @Option(help: "text or json (the plan's format)") var format: OutputFormat = .text

    func validate() throws {
        if !dryRun && actor == nil {
            throw ValidationError(
                "rollback needs --as USER: a user the rules allow 'configure' (an admin), recorded as who applied")
        }
    }

    func run() throws {
        guard
            let planned = try TerminalPlan.make(
                options: options, writer: dryRun ? nil : "clientele rollback", source: .version(version),
                actor: dryRun ? nil : actor)
        else {
            Terminal.error("there is no store yet, so nothing to roll back")
            throw ExitCode(1)
        }
        planned.print(format: format, applying: !dryRun)
        if dryRun {
            if !planned.plan.errors.isEmpty { throw ExitCode(1) }
            return
        }
        let rerun = planned.command(
            ["rollback", String(version)], options, actor: actor!, allowDataLoss: allowDataLoss)
        guard
            try planned.apply(
                yes: yes, allowDataLoss: allowDataLoss, actor: actor!, time: options.time, format: format, rerun: rerun,
                extra: [("rollback_of", .number(String(version)))])
        else { return }
        Terminal.out(
            "the config directory still holds the later config: restore version \(version)'s files there too, or the next plan undoes this rollback\n"
        )
    }
}
