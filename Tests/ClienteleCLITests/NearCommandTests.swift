import ClienteleTestSupport
import Foundation
import Testing

/// `customer list --near LAT,LNG --radius KM` through the binary: the customers the
/// user may see within the distance, nearest first, read through the location grid.
@Suite("Customers near a point")
struct NearCommandTests {
    typealias Demo = StoreCommandTests.Demo

    /// The sales example with customers around Hangzhou, one in Shanghai and one with no location.
    func demo() throws -> Demo {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        let d = Demo(dir: dir)
        #expect(try d.run(["apply", "--as", "carol"]).exitCode == 0)
        let places: [(String, String, String?)] = [
            ("bob", "Hangzhou", "30.2741,120.1551"), ("bob", "West Lake", "30.2500,120.1400"),
            ("bob", "Xiaoshan", "30.1850,120.2650"), ("bob", "Shanghai", "31.2304,121.4737"),
            ("bob", "Nowhere", nil), ("carol", "Carol's", "30.2700,120.1600"),
        ]
        for (owner, name, point) in places {
            var values = ["name=\(name)", "level=A"]
            if let point {
                let parts = point.split(separator: ",")
                values += ["billingLat=\(parts[0])", "billingLng=\(parts[1])"]
            }
            let run = try d.run(["customer", "add", "--as", owner, "--table", "individual"] + values)
            #expect(run.exitCode == 0, "\(run.stderr)")
        }
        return d
    }

    func names(_ d: Demo, as user: String, _ arguments: [String]) throws -> [String] {
        let run = try d.run(["customer", "list", "--as", user, "--format", "json"] + arguments)
        #expect(run.exitCode == 0, "\(run.stderr)")
        let list = (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]) ?? []
        return list.compactMap { ($0["fields"] as? [String: Any])?["name"] as? String }
    }

    @Test("within the radius (5 km by default), nearest first, among the customers the user may view")
    func nearest() throws {
        let d = try demo()
        #expect(try names(d, as: "bob", ["--near", "30.2741,120.1551"]) == ["Hangzhou", "West Lake"])
        #expect(
            try names(d, as: "bob", ["--near", "30.2741,120.1551", "--radius", "20"])
                == ["Hangzhou", "West Lake", "Xiaoshan"])
        #expect(
            try names(d, as: "bob", ["--near", "30.19,120.27", "--radius", "200"])
                == ["Xiaoshan", "West Lake", "Hangzhou", "Shanghai"], "nearest first, from another point")
        #expect(
            try names(d, as: "carol", ["--near", "30.2741,120.1551"]) == ["Hangzhou", "Carol's", "West Lake"],
            "carol sees every customer")
        #expect(try names(d, as: "bob", ["--near", "-33.86,151.21", "--radius", "2000"]).isEmpty)
        // Filters still apply beside it.
        #expect(
            try names(d, as: "bob", ["--near", "30.2741,120.1551", "--search", "west"]) == ["West Lake"])
    }

    @Test("a customer moved is found at its new place, and a deleted one no more")
    func moved() throws {
        let d = try demo()
        #expect(
            try d.run(["customer", "edit", "--as", "bob", "P000004", "billingLat=30.2600", "billingLng=120.1500"])
                .exitCode == 0)
        #expect(try d.run(["customer", "delete", "--as", "carol", "P000002"]).exitCode == 0)
        #expect(try names(d, as: "bob", ["--near", "30.2741,120.1551"]) == ["Hangzhou", "Shanghai"])
    }

    @Test("a location the field rules keep from the user places nothing on their map")
    func unreadableLocation() throws {
        let d = try demo()
        // Sales reps read only some fields of organizations (examples/sales/access.yaml).
        let added = try d.run([
            "customer", "add", "--as", "carol", "--table", "organization", "name=Acme", "level=A",
            "account_executive=bob", "billingLat=30.2741", "billingLng=120.1551",
        ])
        #expect(added.exitCode == 0, "\(added.stderr)")
        #expect(!(try names(d, as: "bob", ["--near", "30.2741,120.1551"]).contains("Acme")))
        #expect(try names(d, as: "carol", ["--near", "30.2741,120.1551"]).contains("Acme"))
    }

    @Test("a config whose customers have no latitude and longitude says so (exit 1)")
    func noLocationFields() throws {
        let dir = try CLI.temporaryDirectory()
        try """
        version: 1
        teams: [{ id: sales }]
        roles: [{ id: admin }]
        departments: [{ id: hq }]
        users: [{ id: ada, teams: [sales], department: hq, roles: [admin] }]
        fields:
          - { identity: name, team: sales, table: individual, type: input }
        rules:
          - { id: admins, allow: [create, view, configure], when: '"admin" in user.roles' }
        """.write(to: dir.appendingPathComponent("clientele.yaml"), atomically: true, encoding: .utf8)
        let d = Demo(dir: dir)
        #expect(try d.run(["apply", "--as", "ada"]).exitCode == 0)
        let run = try d.run(["customer", "list", "--as", "ada", "--near", "1,2"])
        #expect(run.exitCode == 1)
        #expect(run.stderr.contains("--near reads a customer's 'billingLat' and 'billingLng'"), "\(run.stderr)")
    }

    @Test(
        "a bad point or radius is exit 1 (or a usage error) and names what is wrong",
        arguments: [
            (["--near", "95,120"], 1, "the latitude 95 is outside -90 to 90"),
            (["--near", "30,181"], 1, "the longitude 181 is outside -180 to 180"),
            (["--near", "Hangzhou"], 1, "--near expects a latitude and a longitude in degrees, like 30.28,120.15"),
            (["--near", "0x1E,0x78"], 1, "--near expects a latitude and a longitude in degrees"),
            (["--near", "30,120", "--radius", "-1"], 1, "--radius is in km, above 0 and at most 2000"),
            (["--near", "30,120", "--radius", "0"], 1, "--radius is in km, above 0 and at most 2000"),
            (["--near", "30,120", "--radius", "5000"], 1, "--radius is in km, above 0 and at most 2000"),
            (["--radius", "5"], 64, "--radius goes with --near"),
        ])
    func badInput(_ arguments: [String], _ code: Int32, _ message: String) throws {
        let d = try demo()
        let before = try d.snapshot()
        let run = try d.run(["customer", "list", "--as", "bob"] + arguments)
        #expect(run.exitCode == code)
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(try d.snapshot() == before)
    }
}
