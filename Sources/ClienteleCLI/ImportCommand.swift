import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import customers from CSV or JSON Lines; with --dry-run, report row by row what would be refused.")

    @OptionGroup var options: ConfigOptions
    @Argument(help: "A .csv, .jsonl or .ndjson file.") var file: String
    @Option(help: "The table rows go into when they do not say (required for CSV).") var table: String?
    @Option(help: "The package rows go into when they do not say.") var package: String?
    @Option(help: "The team rows belong to when they do not say (needed when the config has several teams).") var team:
        String?
    @Option(name: .customLong("as"), help: "The user who imports (needed to store).") var actor: String?
    @Option(help: ArgumentHelp("The time to record, ISO-8601 with an offset (default: now).", visibility: .hidden))
    var now: String?
    @Flag(help: "Check every row and report; store nothing.") var dryRun = false
    @Option(help: "Write the refused rows to this file instead of refusing the whole import.") var rejects: String?
    @Option(help: "text or json") var format: OutputFormat = .text
    @Flag(
        help:
            "Update the stored customers rows match (by id, or by --match): only the columns given change, each checked and logged as an edit; other rows are added."
    ) var update = false
    @Option(help: "With --update: match rows to stored customers by this unique field when they give no stored id.")
    var match: String?
    @Flag(
        help:
            "Write CSV rejects exactly as read, without the ' that keeps spreadsheets from running a cell as a formula."
    ) var rawCSV = false

    func validate() throws {
        try Clock.check(now)
        if match != nil && !update { throw ValidationError("--match matches rows to stored customers: give --update") }
    }

    func run() throws {
        if !dryRun && actor == nil {
            Terminal.error("importing into the store needs --as USER (the user who imports, checked against the rules)")
            throw ExitCode(1)
        }
        if let rejects { try OutputPath.check(rejects, option: "--rejects", options: options) }
        // An import, and a dry run once there is a store, run under the applied version and
        // check the store's ids and unique values (and the rules, with --as); a dry run before
        // the first apply checks the rows against the directory's config alone.
        let directory = try options.directory()
        var opened: AppliedStore?
        if !dryRun || directory.storeExists {
            if !dryRun { try Clock.checkWriting(now) }
            opened = try StoreOptions.openApplied(
                directory, writer: dryRun ? nil : "clientele import \(file)", actor: actor)
        }
        let config = try opened?.config ?? options.compile()
        guard let fileFormat = ImportFormat.detect(path: file) else {
            Terminal.error("cannot tell the format of '\(file)': name it .csv, .jsonl or .ndjson")
            throw ExitCode(1)
        }
        let defaults: RecordValidator.Defaults
        do {
            defaults = try ImportTarget.resolve(config.model, team: team, table: table, package: package)
        } catch {
            Terminal.error(error.message)
            throw ExitCode(1)
        }
        ReadFault.watch(file)
        let mapped: MappedFile
        do { mapped = try MappedFile(path: file) } catch {
            Terminal.error(error.description)
            throw ExitCode(1)
        }
        let progress = Progress(total: mapped.bytes.count, enabled: format == .text && Terminal.isTerminal(2))
        if dryRun && opened == nil {
            let report: ImportReport
            do {
                report = try CustomerImport.check(
                    mapped.bytes, format: fileFormat, config: config, defaults: defaults, progress: progress.update)
            } catch {
                progress.finish()
                Terminal.error("\(file): \(error.description)")
                throw ExitCode(1)
            }
            progress.finish()
            print(report)
            if !report.rejected.isEmpty { throw ExitCode(1) }
            return
        }
        guard let opened else { return }
        if update {
            try upsert(opened, mapped: mapped, fileFormat: fileFormat, defaults: defaults)
            return
        }
        if dryRun && actor == nil {
            Terminal.note("the rules were not checked: give --as USER to check that the user may import each row")
        }
        let outcome: CustomerImport.Outcome
        do {
            outcome = try CustomerImport(config: opened.config, store: opened.store).run(
                mapped.bytes, format: fileFormat, defaults: defaults, actor: actor, time: now ?? Timestamp.now(),
                source: (file as NSString).lastPathComponent, keepRejected: rejects != nil, dryRun: dryRun,
                progress: progress.update)
        } catch let error as ImportFileError {
            progress.finish()
            Terminal.error("\(file): \(error.description)")
            throw ExitCode(1)
        } catch {
            progress.finish()
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
        progress.finish()
        print(outcome.report, duplicates: outcome.duplicates)
        if dryRun {
            if !outcome.report.rejected.isEmpty { throw ExitCode(1) }
            return
        }
        if let rejects, !outcome.report.rejected.isEmpty {
            let bytes: [UInt8]
            do {
                bytes = try RejectsFile.contents(
                    outcome.report.rejected, of: mapped.bytes, format: fileFormat, raw: rawCSV)
            } catch {
                Terminal.error("\(file): \(error)")
                throw ExitCode(1)
            }
            do { try OutputPath.write(bytes, to: rejects) } catch {
                Terminal.err(
                    "the \(outcome.stored.count) valid rows were imported; only the refused rows could not be written\n"
                )
                throw error
            }
        }
        if rejects == nil, !outcome.report.rejected.isEmpty {
            Terminal.err("nothing was imported: fix the rows above, or give --rejects FILE to import the others\n")
            throw ExitCode(outcome.refusedByRules == outcome.report.rejected.count ? 3 : 1)
        }
        Terminal.err(
            "imported \(outcome.stored.count) \(outcome.stored.count == 1 ? "customer" : "customers")\(rejects != nil && !outcome.report.rejected.isEmpty ? "; the \(outcome.report.rejected.count) refused rows are in \(rejects!)" : "")\n"
        )
    }

    /// `--update`: rows matched to stored customers change them; the others are added.
    private func upsert(
        _ opened: AppliedStore, mapped: MappedFile, fileFormat: ImportFormat, defaults: RecordValidator.Defaults
    ) throws {
        guard let actor else {
            Terminal.error("--update checks each row's change against the rules: give --as USER")
            throw ExitCode(1)
        }
        let outcome: CustomerUpsert.Outcome
        do {
            outcome = try CustomerUpsert(config: opened.config, store: opened.store).run(
                mapped.bytes, format: fileFormat, defaults: defaults, actor: actor, match: match,
                time: now ?? Timestamp.now(), source: (file as NSString).lastPathComponent,
                keepRejected: rejects != nil, dryRun: dryRun)
        } catch let error as ImportFileError {
            Terminal.error("\(file): \(error.description)")
            throw ExitCode(1)
        }
        switch format {
        case .json: Terminal.out(outcome.json.jsonText + "\n")
        case .text:
            for d in outcome.duplicates { Terminal.warning("row \(d.line) (\(d.id)) \(d.match.message)") }
            Terminal.out(outcome.text)
        }
        if dryRun {
            if !outcome.rejected.isEmpty { throw ExitCode(1) }
            return
        }
        if let rejects, !outcome.rejected.isEmpty {
            let bytes = try RejectsFile.contents(outcome.rejected, of: mapped.bytes, format: fileFormat, raw: rawCSV)
            try OutputPath.write(bytes, to: rejects)
        }
        if rejects == nil, !outcome.rejected.isEmpty {
            Terminal.err("nothing was imported: fix the rows above, or give --rejects FILE to import the others\n")
            throw ExitCode(outcome.refusedByRules == outcome.rejected.count ? 3 : 1)
        }
    }

    /// The report; with the rows a matching rule that warns finds alike (on stderr, or
    /// under `duplicates` in JSON).
    private func print(_ report: ImportReport, duplicates: [(line: Int, id: String, match: DuplicateMatch)] = []) {
        switch format {
        case .json:
            var json = ImportReportRenderer.json(report)
            if case .object(let members) = json {
                json = .object(
                    members + [
                        (
                            "duplicates",
                            .array(
                                duplicates.map { d in
                                    .object(
                                        [("row", .number(String(d.line))), ("id", .string(d.id))] + d.match.members)
                                })
                        )
                    ])
            }
            Terminal.out(json.jsonText + "\n")
        case .text:
            for d in duplicates { Terminal.warning("row \(d.line) (\(d.id)) \(d.match.message)") }
            Terminal.out(ImportReportRenderer.text(report))
        }
    }
}

/// A one-line progress bar on standard error, only on a terminal.
final class Progress {
    let total: Int
    let enabled: Bool
    private var shown = -1

    init(total: Int, enabled: Bool) {
        self.total = max(total, 1)
        self.enabled = enabled
    }

    func update(_ done: Int) {
        guard enabled else { return }
        // Rounded: the two halves of an odd number of bytes still reach 50% and 100%.
        let percent = min(100, (done * 200 + total) / (2 * total))
        guard percent != shown else { return }
        shown = percent
        let width = 30
        let filled = width * percent / 100
        Terminal.err(
            "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
                + "] \(percent)%")
    }

    func finish() {
        if enabled && shown >= 0 { Terminal.err("\r\u{1B}[K") }
    }
}
