import ClienteleTestSupport
import Foundation
import Testing

/// The README's tour, run as a new user would: every command of its `sh` blocks,
/// in order, in a fresh home directory, with the built binary on the PATH. A
/// command exits 0 unless its comment says `exit N`. So the README cannot drift
/// from the product.
@Suite("The README tour")
struct ReadmeTourTests {
    /// One command of the tour (a heredoc with its lines), and the exit code it promises.
    struct Step: CustomStringConvertible {
        var text: String
        var exit: Int32
        var description: String { text.split(separator: "\n").first.map(String.init) ?? text }
    }

    /// The commands of the `sh` blocks between "## A five-minute tour" and the next section.
    static func steps(of readme: String) -> [Step] {
        guard let start = readme.range(of: "## A five-minute tour") else { return [] }
        let rest = readme[start.upperBound...]
        let tour = rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)]
        var steps: [Step] = []
        var lines: [Substring] = []
        var inBlock = false
        for line in tour.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if inBlock { lines.append("") }
                inBlock = !inBlock && line == "```sh"
                continue
            }
            if inBlock { lines.append(line) }
        }
        var k = 0
        while k < lines.count {
            var text = String(lines[k])
            k += 1
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            // A heredoc runs up to its terminator.
            if let open = text.range(of: "<<'") {
                let word = text[open.upperBound...].prefix { $0 != "'" }
                while k < lines.count {
                    text += "\n" + lines[k]
                    k += 1
                    if lines[k - 1] == word { break }
                }
            }
            var exit: Int32 = 0
            if let comment = text.split(separator: "\n")[0].range(of: "# exit ") {
                exit = Int32(text[comment.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            steps.append(Step(text: text, exit: exit))
        }
        return steps
    }

    @Test("the tour is found, with its commands and exit codes")
    func parsed() throws {
        let readme = try String(contentsOf: CLI.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let steps = Self.steps(of: readme)
        #expect(steps.count >= 30)
        #expect(steps.contains { $0.text.hasPrefix("clientele init crm") })
        #expect(steps.contains { $0.exit == 3 })
        #expect(steps.contains { $0.text.hasPrefix("cat > leads.csv") && $0.text.hasSuffix("\nEND") })
    }

    @Test("every command of the tour runs as written, with the exit code it says")
    func tour() throws {
        let readme = try String(contentsOf: CLI.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let home = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let binaries = CLI.binary.deletingLastPathComponent().path
        // What changes the shell for the commands after it: the PATH and the directory. First, as in a
        // user's terminal, no descriptor but 0, 1 and 2: one the test process inherits would stay open in a
        // command left in the background (the service), and the test would wait for it.
        var prelude = [
            #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done; true"#
        ]
        for step in Self.steps(of: readme) {
            if step.text.hasPrefix("export PATH=") {
                prelude.append("export PATH='\(binaries)':\"$PATH\"")
                continue
            }
            if step.text.contains("cd ") { prelude.append(step.text) }
            // As a user runs it: their own clock, a home of their own.
            let run = try CLI.execute(
                URL(fileURLWithPath: "/bin/bash"), ["-c", (prelude + [step.text]).joined(separator: "\n")], in: home,
                environment: ["HOME": home.path, "CLIENTELE_CLOCK_OVERRIDE": nil])
            #expect(
                run.exitCode == step.exit,
                "\(step) exited \(run.exitCode), not \(step.exit):\n\(run.stdout)\(run.stderr)")
            guard run.exitCode == step.exit else { return }
        }
    }
}
