import ArgumentParser
import Clientele
import Foundation

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clientele-bench",
        abstract: "Benchmarks of Clientele on the ../shared/bench workload.",
        subcommands: [ValidateRecords.self])
}

/// Wall-clock seconds of `body`, on the monotonic clock.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

struct ValidateRecords: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate-records",
        abstract: "Validate a JSON Lines file as `import --dry-run` does, JSON parsing included; report records per second.")

    @Option(help: "The data folder written by gen.py and to_clientele.py.") var data: String
    @Option(help: "How many timed runs.") var runs = 5
    @Option(help: "Threads (default: 1, then one per core).") var workers: [Int] = []

    func run() throws {
        let configDir = URL(fileURLWithPath: data).appendingPathComponent("clientele")
        var compileTime = 0.0
        var compiled: CompiledConfig?
        compileTime = seconds {
            compiled = Pipeline.compile(directory: configDir).config
        }
        guard let config = compiled else { throw ValidationError("the config in \(configDir.path) does not validate") }
        let file = try MappedFile(path: URL(fileURLWithPath: data).appendingPathComponent("clientele-customers.jsonl").path)
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: data).appendingPathComponent("clientele-invalid.json"))) as! [String: Any]
        let expectedIds = Set(expected["ids"] as! [String])
        print("validate-records: \(file.bytes.count) bytes")
        print(String(format: "  config compile      %.1f ms", compileTime * 1000))
        for threads in workers.isEmpty ? [1, ProcessInfo.processInfo.activeProcessorCount] : workers {
            let checker = ImportChecker(records: config.records, defaults: .init(), workers: threads)
            // Warm the page cache and the code once.
            var report = try checker.check(file.bytes, format: .jsonLines)
            var times: [Double] = []
            for _ in 0..<runs {
                times.append(try seconds { report = try checker.check(file.bytes, format: .jsonLines) })
            }
            let refused = Set(report.rejected.compactMap(\.id))
            let m = median(times)
            print(String(format: "  %d thread%@: median of %d runs %.3f s   %.2f us/record   %.0f records/s   (runs: %@)",
                         threads, threads == 1 ? "" : "s", runs, m, m / Double(report.rows) * 1e6, Double(report.rows) / m,
                         times.map { String(format: "%.3f", $0) }.joined(separator: " ")))
            print("    \(report.rows) records; refused \(report.rejected.count), expected \(expectedIds.count), missed \(expectedIds.subtracting(refused).count), extra \(refused.subtracting(expectedIds).count)")
        }
    }
}
