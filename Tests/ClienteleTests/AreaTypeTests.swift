import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel

/// The `area` type: a GeoJSON Polygon or a circle, each mistake named where it is
/// in the value.
@Suite("Area fields")
struct AreaTypeTests {
    static let area = FieldTypeTests.spec(.area)

    static func square(_ ring: String = "[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]") -> String {
        #"{"type": "Polygon", "coordinates": [[\#(ring)]]}"#
    }

    @Test("polygons, polygons with holes, circles and 3-number positions are areas")
    func valid() {
        FieldTypeTests.expect(
            Self.area,
            valid: [
                Self.square(),
                #"{"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]], [[2,2],[2,4],[4,4],[4,2],[2,2]]]}"#,
                #"{"center": [120.15, 30.28], "radius_m": 500}"#,
                #"{"center": [-180, -90], "radius_m": 0.5}"#,
                Self.square("[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]"),
                Self.square("[0, 0], [1, 0], [1, 0], [1, 1], [0, 0]"),
                // A concave ring (an L) is fine; only crossings are not.
                Self.square("[0,0], [2,0], [2,1], [1,1], [1,2], [0,2], [0,0]"),
                // A bounding box (RFC 7946) is taken as it is.
                #"{"type": "Polygon", "bbox": [0, 0, 1, 1], "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}"#,
                // Near the antimeridian, on its side.
                Self.square("[179, 0], [180, 0], [180, 1], [179, 0]"),
            ],
            invalid: [])
    }

    @Test(
        "each mistake is named with where it is in the value",
        arguments: [
            ("\"a park\"", "expects an area: a GeoJSON Polygon"),
            (
                #"{"type": "Point", "coordinates": [1, 2]}"#,
                #"is a GeoJSON "Point"; an area is a GeoJSON "Polygon" or a circle"#
            ),
            (#"{"coordinates": []}"#, "got an object without 'type'"),
            (#"{"type": "Polygon"}"#, "is a Polygon without 'coordinates'"),
            (#"{"type": "Polygon", "coordinates": []}"#, "expects 'coordinates' to be a list of rings"),
            (#"{"type": "Polygon", "coordinates": [[[0,0],[1,0],[0,0]]]}"#, "has the outer ring of 3 positions"),
            (square("[0, 0], [1, 0], [1, 1], [0, 1]"), "has the outer ring not closed"),
            (square("[0, 0], [1, 0], [200, 1], [0, 0]"), "has position 3 of the outer ring at longitude 200"),
            (square("[0, 0], [1, 95], [1, 1], [0, 0]"), "has position 2 of the outer ring at latitude 95"),
            (square("[0, 0], [1], [1, 1], [0, 0]"), "expects position 2 of the outer ring to be [lng, lat]"),
            (square("[0, 0], [1, \"2\"], [1, 1], [0, 0]"), "expects position 2 of the outer ring to hold numbers"),
            (square("[0, 0], [1, 1], [0, 0], [1, 1], [0, 0]"), "fewer than 3 distinct points"),
            // A bow tie: the edge 1-2 crosses the edge 3-4.
            (
                square("[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]"),
                "has the outer ring crossing itself: the edge from position 1 to 2 meets the edge from position 3 to 4"
            ),
            // A spike folding back on the edge before it.
            (square("[0, 0], [2, 0], [1, 0], [1, 1], [0, 0]"), "crossing itself"),
            // A ring touching itself at a vertex.
            (square("[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 1], [0, 0]"), "crossing itself"),
            (
                #"{"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]], [[2,2],[4,4],[4,2],[2,4],[2,2]]]}"#,
                "has hole 1 crossing itself"
            ),
            (#"{"center": [1, 2]}"#, "is a circle without 'radius_m'"),
            (#"{"radius_m": 5}"#, "is a circle without 'center'"),
            (#"{"center": [1, 2], "radius_m": 0}"#, "expects 'radius_m' above 0"),
            (#"{"center": [1, 2], "radius_m": "5"}"#, "expects 'radius_m' to be a number of metres"),
            (#"{"center": [1, 2], "radius_m": 30000000}"#, "at most 20037508"),
            (#"{"center": [1, 100], "radius_m": 5}"#, "has its center at latitude 100"),
            (#"{"center": [1, 2], "radius_m": 5, "type": "Polygon"}"#, "mixes a circle"),
            (#"{"centre": [1, 2], "radius_m": 5}"#, "has the unknown key \"centre\""),
            (#"{"type": "Polygon", "coordinates": []}"#, "got an empty list"),
            (#"{"center": [0, 0, 0, 0], "radius_m": 5}"#, "expects its center to be [lng, lat], got a list of 4"),
            (#"{"center": [1, 2], "radius_m": 1e400}"#, "expects 'radius_m' above 0 and at most 20037508"),
            (
                #"{"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]], [[20,20],[20,24],[24,24],[20,20]]]}"#,
                "has hole 1 beginning outside the outer ring"
            ),
            (
                square("[-180, 0], [180, 0], [180, 1], [-180, 0]"),
                "an edge from position 1 to 2 spanning more than 180° of longitude"
            ),
        ])
    func invalid(_ value: String, _ message: String) throws {
        let problem = try #require(FieldTypeTests.check(Self.area, value), "\(value) should be refused")
        #expect(problem.hasPrefix("'f' "), "the problem names the field: \(problem)")
        #expect(problem.contains(message), "\(problem)")
    }

    @Test("an area holds at most 10,000 positions, and a large ring is checked in bounded time")
    func bounded() throws {
        // A 9,999-position circle-like ring (valid) and one position too many.
        func ring(_ n: Int) -> String {
            let points = (0..<n).map { k -> String in
                let a = Double(k) / Double(n) * 2 * Double.pi
                return "[\(cos(a) * 10), \(sin(a) * 10)]"
            }
            return (points + [points[0]]).joined(separator: ",")
        }
        #expect(FieldTypeTests.check(Self.area, Self.square(ring(9_999))) == nil)
        let tooMany = try #require(FieldTypeTests.check(Self.area, Self.square(ring(10_000))))
        #expect(tooMany.contains("more than 10000 positions"))
    }

    @Test("a comb of long teeth is checked within a bounded number of edge pairs, or refused as too intricate")
    func intricate() throws {
        // `teeth` long horizontal teeth: every long edge lies side by side with every other.
        func comb(_ teeth: Int) -> String {
            var points: [String] = []
            for t in 0..<teeth {
                let y = Double(t) * 0.01
                points += ["[0, \(y)]", "[100, \(y)]", "[100, \(y + 0.004)]", "[0.001, \(y + 0.004)]"]
            }
            points += ["[-0.01, \(Double(teeth) * 0.01)]", "[-0.01, 0]", "[0, 0]"]
            return Self.square(points.joined(separator: ","))
        }
        #expect(FieldTypeTests.check(Self.area, comb(200)) == nil, "a small comb is an area")
        let big = try #require(FieldTypeTests.check(Self.area, comb(2_400)))
        #expect(big.contains("whose edges lie side by side too often to check"), "\(big)")
    }

    @Test("an area field is never unique, nor matched by a duplicate rule")
    func notCompared() {
        let files: [(path: String, text: String)] = [
            (
                "clientele.yaml",
                """
                version: 1
                teams: [{ id: sales }]
                roles: [{ id: admin }]
                departments: [{ id: hq }]
                users: [{ id: ada, teams: [sales], department: hq, roles: [admin] }]
                fields:
                  - { identity: territory, team: sales, table: individual, type: area, unique: true }
                  - { identity: zone, team: sales, table: individual, type: area }
                duplicates:
                  - { id: same-zone, table: individual, match: [zone] }
                """
            )
        ]
        let errors = SeededStores.compile(files).errors
        #expect(errors.contains { $0.contains("field 'territory' is an area, which cannot be unique") }, "\(errors)")
        #expect(
            errors.contains { $0.contains("names field 'zone', an area, which matching rules do not compare") },
            "\(errors)")
    }

    @Test("a CSV cell of an area field is read as JSON; other text is refused as text")
    func csvCell() {
        let cell = #"{"center": [1, 2], "radius_m": 5}"#
        #expect(
            CSVColumns.typed(cell, cell, .area)
                == .object([("center", .array([.number("1"), .number("2")])), ("radius_m", .number("5"))]))
        #expect(CSVColumns.typed(" downtown ", "downtown", .area) == .string("downtown"))
    }

    @Test("rules may not read an area field yet: the config says so where the rule reads it")
    func rulesCannotReadAreas() {
        let files: [(path: String, text: String)] = [
            (
                "clientele.yaml",
                """
                version: 1
                teams: [{ id: sales }]
                roles: [{ id: admin }]
                departments: [{ id: hq }]
                users: [{ id: ada, teams: [sales], department: hq, roles: [admin] }]
                fields:
                  - { identity: territory, team: sales, table: individual, type: area }
                rules:
                  - { id: r, allow: [view], when: 'has(customer.territory)' }
                """
            )
        ]
        let errors = SeededStores.compile(files).errors
        #expect(
            errors.contains { $0.contains("field 'territory' is an area, which rules cannot read yet") }, "\(errors)")
    }
}
