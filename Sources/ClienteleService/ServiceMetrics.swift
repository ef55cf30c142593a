import Prometheus
import Synchronization

/// What `/metrics` shows, in Prometheus's text format: requests by route and
/// status, their latency, decisions, group commits and their fsync time, and the
/// applied config version.
package final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let decisions: Counter
    private let commits: Counter
    private let writes: Counter
    private let fsync: DurationHistogram
    private let group: DurationHistogram
    private let version: Gauge

    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    package init() {
        decisions = registry.makeCounter(
            name: "clientele_decisions_total", help: "Access decisions answered (each request of a batch counts)")
        commits = registry.makeCounter(
            name: "clientele_commits_total", help: "Group commits: one store lock and one fsync each")
        writes = registry.makeCounter(name: "clientele_writes_total", help: "Write requests committed in groups")
        fsync = registry.makeDurationHistogram(
            name: "clientele_fsync_seconds", buckets: Self.buckets, help: "Time to make a group's batches durable")
        group = registry.makeDurationHistogram(
            name: "clientele_group_commit_seconds", buckets: Self.buckets,
            help: "Time a group commit holds the store: lock, writes, fsync, next snapshot")
        version = registry.makeGauge(
            name: "clientele_config_version", help: "The config version the service runs under")
    }

    /// The counters and the latency histogram of one route (its pattern, not its path), made when it is registered.
    func route(method: String, path: String) -> RouteMetrics {
        RouteMetrics(
            registry: registry, method: method, route: path,
            latency: registry.makeDurationHistogram(
                descriptor: Self.describe("clientele_http_request_duration_seconds", "HTTP request latency by route"),
                labels: [("method", method), ("route", path)], buckets: Self.buckets))
    }

    /// One route's metrics: a counter per status answered, and the latency.
    final class RouteMetrics: Sendable {
        let registry: PrometheusCollectorRegistry
        let method: String
        let route: String
        let latency: DurationHistogram
        private let counters = Mutex<[Int: Counter]>([:])

        init(registry: PrometheusCollectorRegistry, method: String, route: String, latency: DurationHistogram) {
            self.registry = registry
            self.method = method
            self.route = route
            self.latency = latency
        }

        /// Counts a request answered with `status`, taking `duration`.
        func record(status: Int, duration: Duration) {
            let counter = counters.withLock { counters in
                if let c = counters[status] { return c }
                let c = registry.makeCounter(
                    descriptor: ServiceMetrics.describe(
                        "clientele_http_requests_total", "HTTP requests by route and status"),
                    labels: [("method", method), ("route", route), ("status", String(status))])
                counters[status] = c
                return c
            }
            counter.increment()
            latency.recordNanoseconds(duration.nanoseconds)
        }
    }

    func decided(_ count: Int) { decisions.increment(by: Int64(count)) }

    func groupCommitted(writes count: Int, fsync time: Duration, total: Duration) {
        commits.increment()
        writes.increment(by: Int64(count))
        fsync.recordNanoseconds(time.nanoseconds)
        group.recordNanoseconds(total.nanoseconds)
    }

    func appliedVersion(_ number: Int) { version.set(Int64(number)) }

    static func describe(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, helpText: help)
    }

    /// The exposition text.
    package func text() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
