// swift-tools-version: 6.0
import PackageDescription

// Benchmarks of Clientele, kept out of the main package so that `swift test`
// never times anything. Run: swift run -c release --package-path Benchmarks clientele-bench --help
let package = Package(
    name: "ClienteleBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Clientele", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .executableTarget(
            name: "clientele-bench",
            dependencies: [
                .product(name: "Clientele", package: "Clientele"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/ClienteleBenchmarks"
        ),
    ]
)
