import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleEngine

/// The location grid behind `customer list --near`: the cells around a point hold
/// every point within the radius, across the antimeridian and near the poles.
@Suite("Location grid")
struct GeoGridTests {
    @Test("distances on the sphere")
    func distances() {
        let hangzhouShanghai = GeoGrid.distance(30.2741, 120.1551, 31.2304, 121.4737)
        #expect(abs(hangzhouShanghai - 165) < 3, "\(hangzhouShanghai)")
        #expect(GeoGrid.distance(10, 20, 10, 20) == 0)
        #expect(abs(GeoGrid.distance(0, 179.99, 0, -179.99) - 2.22) < 0.01, "across the antimeridian")
    }

    /// Points scattered around each centre: those within the radius lie in the cells given.
    @Test(
        "the cells around a point hold every point within the radius",
        arguments: [
            (30.27, 120.15, 5.0), (0.0, 179.99, 5.0), (0.0, -179.99, 40.0), (89.97, 10.0, 5.0),
            (-89.9, -170.0, 30.0), (51.5, -0.12, 49.0), (51.5, -0.12, 300.0), (-33.86, 151.21, 2000.0),
        ])
    func cellsCover(_ lat: Double, _ lng: Double, _ radius: Double) {
        let cells = Set(GeoGrid.cells(around: lat, lng, radius: radius))
        var rng = SplitMix(state: UInt64(abs(lat * 1000 + lng)))
        var checked = 0
        for _ in 0..<4_000 {
            // A point up to twice the radius away, in any direction.
            let spread = radius * 2 / 111
            let plat = min(90, max(-90, lat + (Double.random(in: 0..<1, using: &rng) * 2 - 1) * spread))
            var plng =
                lng + (Double.random(in: 0..<1, using: &rng) * 2 - 1)
                * min(360, spread / max(0.01, cos(plat * .pi / 180)))
            plng = plng > 180 ? plng - 360 : plng < -180 ? plng + 360 : plng
            plng = min(180, max(-180, plng))
            guard GeoGrid.distance(lat, lng, plat, plng) <= radius else { continue }
            checked += 1
            let keys = GeoGrid.keys(lat: plat, lng: plng)
            #expect(
                keys.contains(where: cells.contains), "(\(plat), \(plng)) is within \(radius) km of (\(lat), \(lng))")
        }
        #expect(checked > 100)
    }

    @Test("the poles and the antimeridian have cells; a place off the map has none")
    func edges() {
        #expect(GeoGrid.keys(lat: 90, lng: 180).count == GeoGrid.levels.count)
        #expect(GeoGrid.keys(lat: -90, lng: -180).count == GeoGrid.levels.count)
        #expect(GeoGrid.keys(lat: 91, lng: 0).isEmpty)
        #expect(GeoGrid.cells(around: 0, 0, radius: 5).count <= 9, "a few fine cells for 5 km")
        #expect(GeoGrid.cells(around: 0, 0, radius: 100).allSatisfy { $0.hasPrefix("@100") }, "coarse past 50 km")
    }
}
