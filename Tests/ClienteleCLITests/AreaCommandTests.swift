import ClienteleTestSupport
import Foundation
import Testing

/// An `area` field through the binary: stored, refused with where the value is
/// wrong (row and column in an import), and exported and imported back.
@Suite("Area fields through the binary")
struct AreaCommandTests {
    typealias Demo = StoreCommandTests.Demo

    func demo() throws -> Demo {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        try """
        fields:
          - { identity: territory, display: Territory, team: sales, table: individual, type: area }
        """.write(to: dir.appendingPathComponent("areas.yaml"), atomically: true, encoding: .utf8)
        let d = Demo(dir: dir)
        let applied = try d.run(["apply", "--as", "carol"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        return d
    }

    @Test("a circle is stored; a polygon crossing itself is refused, naming the edges, and nothing is stored")
    func addAndRefuse() throws {
        let d = try demo()
        let added = try d.run([
            "customer", "add", "--as", "bob", "--table", "individual", "name=Park", "level=A",
            #"territory={"center": [120.15, 30.28], "radius_m": 500}"#,
        ])
        #expect(added.exitCode == 0, "\(added.stderr)")
        let id = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = try d.run(["customer", "show", "--as", "bob", "--format", "json", id])
        #expect(shown.stdout.contains(#""territory":{"center":[120.15,30.28],"radius_m":500}"#), "\(shown.stdout)")

        let before = try d.snapshot()
        let bowTie = #"territory={"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#
        let refused = try d.run([
            "customer", "add", "--as", "bob", "--table", "individual", "name=Bad", "level=A", bowTie,
        ])
        #expect(refused.exitCode == 1)
        #expect(
            refused.stderr.contains(
                "column territory: 'territory' (Territory) has the outer ring crossing itself: the edge from position 1 to 2 meets the edge from position 3 to 4"
            ), "\(refused.stderr)")
        let edited = try d.run(["customer", "edit", "--as", "bob", id, #"territory={"center": [1, 2]}"#])
        #expect(edited.exitCode == 1 && edited.stderr.contains("is a circle without 'radius_m'"), "\(edited.stderr)")
        #expect(try d.snapshot() == before, "a refusal stores nothing")
    }

    @Test("an import names the row and column of each bad area, stores none of the file, and an export reads back")
    func importAndExport() throws {
        let d = try demo()
        let csv = d.dir.appendingPathComponent("areas.csv")
        try """
        Name,Level,Territory
        Good,A,"{""center"": [1, 2], ""radius_m"": 5}"
        Far,A,"{""center"": [1, 200], ""radius_m"": 5}"
        Words,B,downtown

        """.write(to: csv, atomically: true, encoding: .utf8)
        let before = try d.snapshot()
        let run = try d.run(["import", csv.path, "--as", "carol", "--table", "individual"])
        #expect(run.exitCode == 1)
        #expect(
            run.stdout.contains(
                "row 3, column Territory: 'territory' (Territory) has its center at latitude 200, outside -90 to 90"),
            "\(run.stdout)")
        #expect(
            run.stdout.contains("row 4, column Territory: 'territory' (Territory) expects an area"), "\(run.stdout)")
        #expect(try d.snapshot() == before)

        try "Name,Level,Territory\nGood,A,\"{\"\"center\"\": [1, 2], \"\"radius_m\"\": 5}\"\n".write(
            to: csv, atomically: true, encoding: .utf8)
        #expect(try d.run(["import", csv.path, "--as", "carol", "--table", "individual"]).exitCode == 0)
        let exported = try d.run(["export", "--as", "carol", "--table", "individual", "--format", "csv"])
        #expect(exported.stdout.contains(#""{""center"":[1,2],""radius_m"":5}""#), "\(exported.stdout)")
        let again = d.dir.appendingPathComponent("again.csv")
        try exported.stdout.replacingOccurrences(of: "P000001", with: "P000100").write(
            to: again, atomically: true, encoding: .utf8)
        let dry = try d.run(["import", again.path, "--as", "carol", "--table", "individual", "--dry-run"])
        #expect(dry.exitCode == 0, "\(dry.stdout)\(dry.stderr)")
    }
}
