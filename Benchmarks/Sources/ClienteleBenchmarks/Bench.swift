import ArgumentParser
import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import Foundation

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clientele-bench",
        abstract: "Benchmarks of Clientele on the ../shared/bench workload.",
        subcommands: [ValidateRecords.self, AccessChecks.self, HTTPFloor.self])
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
        abstract:
            "Validate a JSON Lines file as `import --dry-run` does, JSON parsing included; report records per second.")

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
        let file = try MappedFile(
            path: URL(fileURLWithPath: data).appendingPathComponent("clientele-customers.jsonl").path)
        let expected =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: data).appendingPathComponent("clientele-invalid.json")))
            as! [String: Any]
        let expectedIds = Set(expected["ids"] as! [String])
        print("validate-records: \(file.bytes.count) bytes")
        print(String(format: "  config compile      %.1f ms", compileTime * 1000))
        for threads in workers.isEmpty ? [1, ProcessInfo.processInfo.activeProcessorCount] : workers {
            let checker = ImportChecker(records: config.records, defaults: .none, workers: threads)
            // Warm the page cache and the code once.
            var report = try checker.check(file.bytes, format: .jsonLines)
            var times: [Double] = []
            for _ in 0..<runs {
                times.append(try seconds { report = try checker.check(file.bytes, format: .jsonLines) })
            }
            let refused = Set(report.rejected.compactMap(\.id))
            let m = median(times)
            print(
                String(
                    format: "  %d thread%@: median of %d runs %.3f s   %.2f us/record   %.0f records/s   (runs: %@)",
                    threads, threads == 1 ? "" : "s", runs, m, m / Double(report.rows) * 1e6, Double(report.rows) / m,
                    times.map { String(format: "%.3f", $0) }.joined(separator: " ")))
            print(
                "    \(report.rows) records; refused \(report.rejected.count), expected \(expectedIds.count), missed \(expectedIds.subtracting(refused).count), extra \(refused.subtracting(expectedIds).count)"
            )
        }
    }
}

struct AccessChecks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access",
        abstract:
            "Decide every request of the workload (checked against the reference) and list visible customers per user.")

    @Option(help: "The data folder written by gen.py and to_clientele.py.") var data: String
    @Option(help: "How many timed runs over all requests.") var runs = 5
    @Option(help: "Users whose visible list is timed (and checked against deciding on every customer).")
    var visibleUsers = 100

    func run() throws {
        let base = URL(fileURLWithPath: data)
        var compiled: CompiledConfig?
        let compileTime = seconds {
            compiled = Pipeline.compile(directory: base.appendingPathComponent("clientele")).config
        }
        guard let config = compiled else { throw ValidationError("the config does not validate") }
        let policy = config.access
        let customers = policy.makeCustomerTable()
        let file = try MappedFile(path: base.appendingPathComponent("clientele-customers.jsonl").path)
        let loadTime = seconds { customers.addJSONLines(file.bytes) }
        var index: CustomerIndex?
        let indexTime = seconds { index = CustomerIndex(customers) }

        // Requests with the reference decision.
        struct Request {
            let user: Int
            let action: Action
            let customer: Int
            let expected: Bool
        }
        var requests: [Request] = []
        let text = try String(contentsOf: base.appendingPathComponent("clientele-expected.jsonl"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let r = try JSONValue.parse(String(line))
            guard let u = policy.org.user(r["user"]?.stringValue ?? ""),
                let c = customers.index(of: r["customer"]?.stringValue ?? ""),
                let a = Action(rawValue: r["action"]?.stringValue ?? "")
            else { throw ValidationError("bad request \(line)") }
            requests.append(Request(user: u, action: a, customer: c, expected: r["allowed"] == .bool(true)))
        }
        var disagreements = 0
        for r in requests
        where policy.decide(user: r.user, action: r.action, customer: r.customer, in: customers).allowed != r.expected {
            disagreements += 1
        }

        var allowed = 0
        var times: [Double] = []
        for _ in 0..<runs {
            allowed = 0
            times.append(
                seconds {
                    for r in requests
                    where policy.isAllowed(user: r.user, action: r.action, customer: r.customer, in: customers) {
                        allowed += 1
                    }
                })
        }
        let perDecision = median(times) / Double(requests.count) * 1e9
        print("access: \(customers.count) customers, \(policy.org.userIds.count) users, \(requests.count) requests")
        print(
            String(
                format: "  config compile %.1f ms, load customers %.2f s, build indexes %.1f ms", compileTime * 1000,
                loadTime, indexTime * 1000))
        print(
            String(
                format:
                    "  decide: median of %d runs %.1f ns/decision (%.0f decisions/s); allowed %d (%.3f); disagreements with the reference: %d",
                runs, perDecision, 1e9 / perDecision, allowed, Double(allowed) / Double(requests.count), disagreements))

        // Visible lists: every k-th user, view action.
        let step = max(1, policy.org.userIds.count / visibleUsers)
        let users = Array(stride(from: 0, to: policy.org.userIds.count, by: step).prefix(visibleUsers))
        var visibleTimes: [Double] = []
        var counts: [Int] = []
        var wrong = 0
        for u in users {
            var list: [Int] = []
            visibleTimes.append(seconds { list = policy.visible(user: u, action: .view, in: customers, index: index!) })
            counts.append(list.count)
        }
        // Exactness: the same lists by deciding on every customer, for every user timed.
        let scanStart = DispatchTime.now().uptimeNanoseconds
        for (k, u) in users.enumerated() {
            var n = 0
            var same = true
            var listIndex = 0
            let list = policy.visible(user: u, action: .view, in: customers, index: index!)
            for c in 0..<customers.count where policy.isAllowed(user: u, action: .view, customer: c, in: customers) {
                n += 1
                if listIndex >= list.count || list[listIndex] != c { same = false } else { listIndex += 1 }
            }
            if !same || n != counts[k] { wrong += 1 }
        }
        let scanSeconds = Double(DispatchTime.now().uptimeNanoseconds - scanStart) / 1e9
        let sorted = visibleTimes.sorted()
        print(
            String(
                format:
                    "  visible (view): %d users, median %.2f ms, p90 %.2f ms, max %.2f ms per user; visible counts %d..%d (median %d)",
                users.count, median(visibleTimes) * 1000, sorted[Int(Double(sorted.count - 1) * 0.9)] * 1000,
                sorted.last! * 1000,
                counts.min() ?? 0, counts.max() ?? 0, counts.sorted()[counts.count / 2]))
        print(
            String(
                format:
                    "  visible checked against deciding on every customer: %d of %d users differ (scan took %.1f ms per user)",
                wrong, users.count, scanSeconds / Double(users.count) * 1000))
    }
}
