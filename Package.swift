// swift-tools-version: 6.0
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
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
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
        .executableTarget(
            name: "ClienteleCLI",
            dependencies: [
                "ClienteleKit",
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
                "ClienteleCLI", "ClienteleTestSupport",
            ],
            exclude: ["Golden", "Scenarios"]
        ),
    ]
)
