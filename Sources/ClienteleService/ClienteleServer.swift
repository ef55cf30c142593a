import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// `clientele serve`: the store of a config directory over HTTP/1.1 with JSON, under
/// its applied version, with the access columns in memory (docs/service.md).
package struct ClienteleServer: Sendable {
    package struct Options: Sendable {
        package var host = "127.0.0.1"
        package var port = 8080
        /// The largest request body taken, in bytes (a larger one is refused with 413).
        package var maxBody = 4 << 20
        /// How often the store is read for what other processes committed.
        package var refreshInterval: Duration = .milliseconds(250)
        /// A connection that sends nothing for this long (mid-request or between
        /// requests) is closed: slow or stalled clients do not hold connections.
        package var idleTimeout: Duration = .seconds(30)
        /// How long SIGTERM waits for the requests in flight before it cuts the connections.
        package var shutdownGrace: Duration = .seconds(4)

        package init() {}
    }

    let state: ServiceState
    let options: Options
    let logger: Logger

    /// Opens the store of `directory` and loads its applied version.
    package init(directory: ConfigDirectory, options: Options, logger: Logger) throws(OperationError) {
        self.options = options
        self.logger = logger
        state = try ServiceState(directory: directory, logger: logger, metrics: ServiceMetrics())
    }

    /// "METHOD /path" of every route the service answers (path parameters as `:id`).
    package var routes: [String] {
        let routes = ServiceRoutes(state: state, options: options)
        routes.register(on: Router(context: BasicRequestContext.self))
        return routes.registered.routes.withLock { $0 }
    }

    /// What is served: the version and how many customers.
    package var summary: String {
        let snapshot = state.snapshot
        return "config version \(snapshot.version.number), \(snapshot.customers.count) customers"
    }

    /// Serves until SIGTERM or SIGINT: then stops accepting, finishes the requests in
    /// flight (for up to `shutdownGrace`, then cuts the connections left) and returns
    /// once the store's queue is idle. `announce` hears where it listens once the port is bound.
    package func run(announce: @escaping @Sendable (String) -> Void) async throws {
        let router = Router(context: BasicRequestContext.self)
        ServiceRoutes(state: state, options: options).register(on: router)
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: TimeAmount(options.idleTimeout))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            services: [StoreRefresher(state: state, interval: options.refreshInterval)],
            onServerRunning: { channel in
                let address = channel.localAddress
                announce("listening on http://\(address?.ipAddress ?? "?"):\(address?.port ?? 0)")
            },
            logger: logger)
        var configuration = ServiceGroupConfiguration(
            // Shut down in reverse: the writes are stopped before the server stops accepting.
            services: [.init(service: app), .init(service: WriteStopper(state: state))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = options.shutdownGrace
        let group = ServiceGroup(configuration: configuration)
        do { try await group.run() } catch is CancellationError {
            // The grace ran out: the connections left were cut; nothing of the store is half-done.
        }
        await state.idle()
    }
}

/// Reads what other processes committed, every `interval`, until the service stops.
struct StoreRefresher: Service {
    let state: ServiceState
    let interval: Duration

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            state.refresh()
        }
    }
}

/// At SIGTERM, first of all: writes that have not begun, one waiting for another
/// process's lock among them, are answered 503 from here, while their connections are
/// still open to hear it; none waits for the lock past the exit.
struct WriteStopper: Service {
    let state: ServiceState

    func run() async throws {
        try? await gracefulShutdown()
        state.stop()
    }
}
