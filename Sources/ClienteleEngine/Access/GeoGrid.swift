import Foundation

/// Where customers are, as cells of a latitude/longitude grid, so that "within 5 km of
/// here" reads the customers of a few cells instead of every customer.
///
/// Each located customer is filed under two cells: a fine one (0.05°, about 5.5 km of
/// latitude) for searches up to `fineRadiusLimit`, and a coarse one (1°) for wider ones.
/// The cells only narrow the search: the distance itself is computed exactly (on a
/// sphere) for each customer they give.
package enum GeoGrid {
    /// A cell's side, in hundredths of a degree: fine, then coarse.
    package static let levels = [5, 100]
    /// The widest search (km) made with the fine cells.
    package static let fineRadiusLimit = 50.0
    /// The widest search there is (km).
    package static let maxRadius = 2_000.0
    /// The mean radius of the Earth (km).
    static let earthRadius = 6_371.0088

    /// The cell of a point at `level` (hundredths of a degree).
    static func cell(_ lat: Double, _ lng: Double, level: Int) -> (row: Int, column: Int) {
        let size = Double(level) / 100
        let columns = Int((360 / size).rounded())
        let rows = Int((180 / size).rounded())
        let row = Int(((lat + 90) / size).rounded(.down))
        let column = Int(((lng + 180) / size).rounded(.down))
        return (min(max(row, 0), rows - 1), min(max(column, 0), columns - 1))
    }

    /// A cell as the value index keys it.
    static func key(level: Int, row: Int, column: Int) -> String { "@\(level)\u{0}\(row)\u{0}\(column)" }

    /// The keys a customer at (lat, lng) is filed under: one per level.
    package static func keys(lat: Double, lng: Double) -> [String] {
        guard (-90...90).contains(lat), (-180...180).contains(lng) else { return [] }
        return levels.map { level in
            let c = cell(lat, lng, level: level)
            return key(level: level, row: c.row, column: c.column)
        }
    }

    /// Whether an index key is a location cell's.
    package static func isCellKey(_ key: String) -> Bool { key.hasPrefix("@") }

    /// The keys of every cell that holds a point within `radius` km of (lat, lng).
    package static func cells(around lat: Double, _ lng: Double, radius: Double) -> [String] {
        let level = radius <= fineRadiusLimit ? levels[0] : levels[1]
        let size = Double(level) / 100
        let columnsCount = Int((360 / size).rounded())
        let dLat = radius / (earthRadius * .pi / 180)
        let south = max(-90, lat - dLat)
        let north = min(90, lat + dLat)
        let low = cell(south, 0, level: level).row
        let high = cell(north, 0, level: level).row
        // Near a pole (or for a circle as wide as the Earth) every longitude is in reach.
        let widest = max(abs(south), abs(north))
        var columns: [Int]
        if widest >= 89.9 {
            columns = Array(0..<columnsCount)
        } else {
            let dLng = dLat / cos(widest * .pi / 180)
            if dLng >= 180 {
                columns = Array(0..<columnsCount)
            } else {
                let west = cell(0, max(-180, lng - dLng), level: level).column
                let east = cell(0, min(180, lng + dLng), level: level).column
                columns = Array(west...east)
                // Across the antimeridian, the columns on the other side.
                if lng - dLng < -180 {
                    columns += Array(cell(0, lng - dLng + 360, level: level).column..<columnsCount)
                }
                if lng + dLng > 180 { columns += Array(0...cell(0, lng + dLng - 360, level: level).column) }
            }
        }
        let ordered = Set(columns).sorted()
        var keys: [String] = []
        keys.reserveCapacity((high - low + 1) * ordered.count)
        for row in low...high {
            for column in ordered { keys.append(key(level: level, row: row, column: column)) }
        }
        return keys
    }

    /// The distance (km) between two points on the sphere (haversine).
    package static func distance(_ lat1: Double, _ lng1: Double, _ lat2: Double, _ lng2: Double) -> Double {
        let r = Double.pi / 180
        let a =
            pow(sin((lat2 - lat1) * r / 2), 2) + cos(lat1 * r) * cos(lat2 * r) * pow(sin((lng2 - lng1) * r / 2), 2)
        return 2 * earthRadius * asin(min(1, sqrt(a)))
    }
}
