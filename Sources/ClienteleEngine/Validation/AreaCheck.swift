import ClienteleCore

/// Checks a value of an `area` field: a GeoJSON Polygon (RFC 7946: an outer ring,
/// then holes, each ring a closed list of `[longitude, latitude]` positions), or a
/// circle (`{"center": [longitude, latitude], "radius_m": metres}`).
///
/// A ring must be closed, hold at least three distinct points, never cross or touch
/// itself, and no edge may span more than 180° of longitude (a ring across the
/// antimeridian is split, as RFC 7946 says); a hole begins inside the outer ring.
/// Rings are checked on the plane of longitude and latitude, as GeoJSON validators
/// do. An area holds at most `maxPoints` positions, and a ring whose edges lie side by
/// side more than `maxPairs` times is refused as too intricate, so checking one takes
/// bounded time.
package enum AreaCheck {
    /// The most positions an area may hold, all rings together.
    package static let maxPoints = 10_000
    /// The most pairs of edges side by side in longitude a ring may have (each compared).
    package static let maxPairs = 4_000_000
    /// The largest circle: half the equator, in metres.
    package static let maxRadius = 20_037_508.0

    static let shape =
        "an area: a GeoJSON Polygon ({\"type\": \"Polygon\", \"coordinates\": [[[lng, lat], ...]]}) or a circle ({\"center\": [lng, lat], \"radius_m\": metres})"

    /// What is wrong with the area at `i`, to follow the field's label; nil when it is valid.
    package static func problem(_ view: JSONView, _ i: Int) -> String? {
        guard view.kind(i) == .object else { return "expects \(shape), got \(Shown.value(view, i))" }
        var members: [String: Int] = [:]
        var j = i + 1
        while j < view.next(i) {
            let key = view.string(j)
            // A GeoJSON bounding box says nothing the ring does not: it is taken and not read.
            guard ["type", "coordinates", "center", "radius_m", "bbox"].contains(key) else {
                return "has the unknown key \(Shown.text(key)); it expects \(shape)"
            }
            if members[key] != nil { return "gives '\(key)' twice" }
            members[key] = j + 1
            j = view.next(j + 1)
        }
        if members["center"] != nil || members["radius_m"] != nil {
            if members["type"] != nil || members["coordinates"] != nil {
                return
                    "mixes a circle ('center', 'radius_m') with a polygon ('type', 'coordinates'); give one of them"
            }
            return circleProblem(view, center: members["center"], radius: members["radius_m"])
        }
        guard let t = members["type"] else { return "expects \(shape), got an object without 'type'" }
        guard view.kind(t) == .string, view.string(t) == "Polygon" else {
            let named = view.kind(t) == .string ? "a GeoJSON \(Shown.text(view.string(t)))" : Shown.value(view, t)
            return "is \(named); an area is a GeoJSON \"Polygon\" or a circle"
        }
        guard let c = members["coordinates"] else { return "is a Polygon without 'coordinates'" }
        return polygonProblem(view, c)
    }

    private static func circleProblem(_ view: JSONView, center: Int?, radius: Int?) -> String? {
        guard let center else { return "is a circle without 'center' ([lng, lat])" }
        guard let radius else { return "is a circle without 'radius_m' (its radius in metres)" }
        if case .failure(let problem) = position(view, center, what: "its center") { return problem.message }
        guard view.kind(radius) == .number, let r = ValueFormats.double(view.raw(radius)) else {
            return "expects 'radius_m' to be a number of metres, got \(Shown.value(view, radius))"
        }
        guard r.isFinite, r > 0, r <= maxRadius else {
            return
                "expects 'radius_m' above 0 and at most \(Int(maxRadius)) (half the equator), got \(view.string(radius))"
        }
        return nil
    }

    private static func polygonProblem(_ view: JSONView, _ c: Int) -> String? {
        guard view.kind(c) == .array, view.token(c).count > 0 else {
            let got = view.kind(c) == .array ? "an empty list" : Shown.value(view, c)
            return "expects 'coordinates' to be a list of rings (the outer ring, then holes), got \(got)"
        }
        var outer: [Point] = []
        var total = 0
        var r = c + 1
        var ringNumber = 0
        while r < view.next(c) {
            defer { r = view.next(r) }
            ringNumber += 1
            let ring = ringNumber == 1 ? "the outer ring" : "hole \(ringNumber - 1)"
            guard view.kind(r) == .array else {
                return "expects \(ring) to be a list of [lng, lat] positions, got \(Shown.value(view, r))"
            }
            total += Int(view.token(r).count)
            if total > maxPoints { return "holds more than \(maxPoints) positions" }
            var points: [Point] = []
            var p = r + 1
            while p < view.next(r) {
                switch position(view, p, what: "position \(points.count + 1) of \(ring)") {
                case .success(let point): points.append(point)
                case .failure(let problem): return problem.message
                }
                p = view.next(p)
            }
            if let message = ringProblem(points, ring) { return message }
            if ringNumber == 1 {
                outer = points
            } else if !inside(points[0], outer) {
                return "has \(ring) beginning outside the outer ring: a hole lies inside it"
            }
        }
        return nil
    }

    /// Whether `p` lies inside the closed ring (on its edge counts as inside), by the
    /// crossings of a ray to the east.
    static func inside(_ p: Point, _ ring: [Point]) -> Bool {
        var crossings = false
        for k in 0..<(ring.count - 1) {
            let (a, b) = (ring[k], ring[k + 1])
            if cross(a, b, p) == 0, within(a, b, p) { return true }
            if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { crossings.toggle() }
        }
        return crossings
    }

    struct Point: Equatable {
        var x: Double
        var y: Double
    }

    struct Problem: Error {
        var message: String
    }

    private static func position(_ view: JSONView, _ i: Int, what: String) -> Result<Point, Problem> {
        let count = view.kind(i) == .array ? Int(view.token(i).count) : 0
        guard count == 2 || count == 3 else {
            let got = view.kind(i) == .array ? "a list of \(count)" : Shown.value(view, i)
            return .failure(Problem(message: "expects \(what) to be [lng, lat], got \(got)"))
        }
        var numbers: [Double] = []
        var k = i + 1
        while k < view.next(i) {
            guard view.kind(k) == .number, let v = ValueFormats.double(view.raw(k)), v.isFinite else {
                return .failure(Problem(message: "expects \(what) to hold numbers, got \(Shown.value(view, k))"))
            }
            numbers.append(v)
            k = view.next(k)
        }
        guard (-180...180).contains(numbers[0]) else {
            return .failure(
                Problem(message: "has \(what) at longitude \(view.string(i + 1)), outside -180 to 180 ([lng, lat])"))
        }
        guard (-90...90).contains(numbers[1]) else {
            return .failure(
                Problem(
                    message:
                        "has \(what) at latitude \(view.string(view.next(i + 1))), outside -90 to 90 ([lng, lat])"))
        }
        return .success(Point(x: numbers[0], y: numbers[1]))
    }

    /// A ring's problem: not closed, too few points, or an edge that crosses or touches another.
    static func ringProblem(_ points: [Point], _ ring: String) -> String? {
        guard points.count >= 4 else {
            return
                "has \(ring) of \(points.count) position\(points.count == 1 ? "" : "s"); a ring needs at least 4 (3 points and the first again)"
        }
        guard points.first == points.last else {
            return "has \(ring) not closed: its last position must repeat its first"
        }
        // Repeated positions in a row make no edge; positions are counted as written.
        var vertices: [(point: Point, number: Int)] = []
        for (k, point) in points.enumerated() where vertices.last?.point != point {
            vertices.append((point, k + 1))
        }
        guard Set(vertices.dropLast().map { "\($0.point.x) \($0.point.y)" }).count >= 3 else {
            return "has \(ring) of fewer than 3 distinct points, which encloses nothing"
        }
        for k in 0..<(vertices.count - 1) where abs(vertices[k + 1].point.x - vertices[k].point.x) > 180 {
            return
                "has \(ring) with an edge from position \(vertices[k].number) to \(vertices[k + 1].number) spanning more than 180° of longitude: split a ring that crosses the antimeridian in two (RFC 7946)"
        }
        guard let crossing = crossingEdges(vertices.map(\.point)) else {
            return
                "has \(ring) whose edges lie side by side too often to check (more than \(maxPairs) pairs): simplify it"
        }
        if let (a, b) = crossing {
            func edge(_ e: Int) -> String { "\(vertices[e].number) to \(vertices[e + 1].number)" }
            return
                "has \(ring) crossing itself: the edge from position \(edge(a)) meets the edge from position \(edge(b))"
        }
        return nil
    }

    /// The first two edges of a closed ring (the last vertex repeats the first) that meet
    /// anywhere but at the vertex joining neighbours: `.some(nil)` when there are none, nil
    /// when more than `maxPairs` pairs would have to be compared. Edges are swept in order
    /// of their left end, so only those overlapping in longitude are compared.
    static func crossingEdges(_ v: [Point]) -> (Int, Int)?? {
        let n = v.count - 1
        let left = (0..<n).map { min(v[$0].x, v[$0 + 1].x) }
        let order = (0..<n).sorted { left[$0] < left[$1] }
        var found: (Int, Int)?
        var pairs = 0
        for (k, a) in order.enumerated() {
            let right = max(v[a].x, v[a + 1].x)
            for b in order[(k + 1)...] {
                if left[b] > right { break }
                pairs += 1
                if pairs > maxPairs { return nil }
                if meet(v, a, b, edges: n) {
                    let pair = (min(a, b), max(a, b))
                    if found.map({ pair < $0 }) ?? true { found = pair }
                }
            }
        }
        return .some(found)
    }

    /// Whether edges `a` and `b` (of `edges`) meet where they should not.
    private static func meet(_ v: [Point], _ a: Int, _ b: Int, edges n: Int) -> Bool {
        let (p, q, r, s) = (v[a], v[a + 1], v[b], v[b + 1])
        let neighbours = (a + 1) % n == b || (b + 1) % n == a
        if neighbours {
            // Joined at one vertex: wrong only when one folds back along the other.
            let (shared, x, y) = (a + 1) % n == b ? (q, p, s) : (p, q, r)
            return cross(shared, x, y) == 0 && dot(shared, x, y) > 0
        }
        let d1 = cross(r, s, p)
        let d2 = cross(r, s, q)
        let d3 = cross(p, q, r)
        let d4 = cross(p, q, s)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
        return (d1 == 0 && within(r, s, p)) || (d2 == 0 && within(r, s, q)) || (d3 == 0 && within(p, q, r))
            || (d4 == 0 && within(p, q, s))
    }

    /// The cross product of (b - o) and (c - o): its sign says on which side of o→b c lies.
    private static func cross(_ o: Point, _ b: Point, _ c: Point) -> Double {
        (b.x - o.x) * (c.y - o.y) - (b.y - o.y) * (c.x - o.x)
    }

    private static func dot(_ o: Point, _ b: Point, _ c: Point) -> Double {
        (b.x - o.x) * (c.x - o.x) + (b.y - o.y) * (c.y - o.y)
    }

    /// Whether `c`, on the line through a and b, lies on the segment a–b.
    private static func within(_ a: Point, _ b: Point, _ c: Point) -> Bool {
        min(a.x, b.x) <= c.x && c.x <= max(a.x, b.x) && min(a.y, b.y) <= c.y && c.y <= max(a.y, b.y)
    }
}
