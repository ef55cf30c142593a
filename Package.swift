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
let package = Package(
    name: "Clientele",
    products: [
        .library(
            name: "Clientele",
            targets: ["ClienteleCore", "ClienteleSpec", "ClienteleModel", "ClienteleEngine", "ClienteleStore", "ClienteleKit"]
        ),
        .executable(name: "clientele", targets: ["ClienteleCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        // What both test targets share: scratch folders, SplitMix, golden files, running a program, seeded stores.
        .target(
            name: "ClienteleTestSupport",
            dependencies: ["ClienteleCore", "ClienteleSpec", "ClienteleEngine", "ClienteleStore", "ClienteleKit"],
            path: "Tests/ClienteleTestSupport"
        ),
        .testTarget(
            name: "ClienteleTests",
            dependencies: ["ClienteleCore", "ClienteleSpec", "ClienteleModel", "ClienteleEngine", "ClienteleStore", "ClienteleKit", "ClienteleTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ClienteleCLITests",
            dependencies: ["ClienteleCore", "ClienteleSpec", "ClienteleModel", "ClienteleEngine", "ClienteleStore", "ClienteleKit", "ClienteleCLI", "ClienteleTestSupport"],
            exclude: ["Golden", "Scenarios"]
        ),
    ]
)
