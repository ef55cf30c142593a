// swift-tools-version: 6.1
import PackageDescription

// The targets are the architecture (docs/architecture.md): each depends only on
// the ones below it, and the compiler holds the line.
//
//   ClienteleCore    JSON, bytes, files, times: what every layer reads and writes
//   ClienteleSpec    YAML to Node to Declarations, diagnostics, built-in libraries
//   ClienteleModel   Declarations to the checked Model
//   ClienteleEngine  validators, expressions, access decisions, import checks
//   ClienteleStore   the store protocol and the JSON-file store (knows nothing above Core)
//   ClienteleKit     the use cases: operations, planning, applying; every front end calls these
//   ClienteleService `clientele serve`: the HTTP service over ClienteleKit (Hummingbird)
//   clientele        the command line
//
// The code calls Glibc and uses `Synchronization.Mutex`: it builds on Linux
// (Swift 6.0 and later); no other platform is claimed.
//
// Every front end lives in this package (the command line today, the service
// next) and reaches the library through `package` access: no product exports
// an API to other packages, so nothing outside promises to stay stable. The one
// exception is ClienteleCore, whose declarations are `public` (and documented):
// the compiler's default cross-module optimization considers public
// declarations only, and without it the JSON tape, the byte checks and the
// line reader are not inlined into the validators (validation measured 25%
// slower; docs/performance.md).
let package = Package(
    name: "Clientele",
    products: [
        .executable(name: "clientele", targets: ["ClienteleCLI"]),
        .executable(name: "clientele-bench", targets: ["ClienteleBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The service: HTTP (without the configuration and full-Foundation traits it does not use),
        // key hashing, metrics, logs, and the lifecycle that stops it on SIGTERM.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The end-to-end tests of the service talk to it over HTTP.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(name: "CChecksum"),
        .target(name: "ClienteleCore", dependencies: ["CChecksum"]),
        .target(name: "ClienteleSpec", dependencies: ["ClienteleCore", "CYAML"]),
        .target(name: "ClienteleModel", dependencies: ["ClienteleSpec"]),
        .target(name: "ClienteleEngine", dependencies: ["ClienteleModel"]),
        .target(name: "ClienteleStore", dependencies: ["ClienteleCore"]),
        .target(name: "ClienteleKit", dependencies: ["ClienteleEngine", "ClienteleStore"]),
        .target(
            name: "ClienteleService",
            dependencies: [
                "ClienteleKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ClienteleCLI",
            dependencies: [
                "ClienteleKit", "ClienteleService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The benchmarks (docs/performance.md), beside the product so that they reach its `package` API;
        // `swift test` never runs them. Run: swift run -c release clientele-bench --help
        .executableTarget(
            name: "ClienteleBenchmarks",
            dependencies: [
                "ClienteleCore", "ClienteleModel", "ClienteleEngine", "ClienteleKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Benchmarks/Sources/ClienteleBenchmarks"
        ),
        // What both test targets share: scratch folders, SplitMix, golden files, running a program, seeded stores.
        .target(
            name: "ClienteleTestSupport",
            dependencies: ["ClienteleCore", "ClienteleSpec", "ClienteleEngine", "ClienteleStore", "ClienteleKit"],
            path: "Tests/ClienteleTestSupport"
        ),
        .testTarget(
            name: "ClienteleTests",
            dependencies: [
                "ClienteleCore", "ClienteleSpec", "ClienteleModel", "ClienteleEngine", "ClienteleStore", "ClienteleKit",
                "ClienteleTestSupport",
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ClienteleCLITests",
            dependencies: [
                "ClienteleCore", "ClienteleSpec", "ClienteleModel", "ClienteleEngine", "ClienteleStore", "ClienteleKit",
                "ClienteleCLI", "ClienteleService", "ClienteleTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Golden", "Scenarios"]
        ),
    ]
)
