// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Clientele",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Clientele", targets: ["Clientele"]),
        .executable(name: "clientele", targets: ["ClienteleCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(name: "CChecksum"),
        .target(
            name: "Clientele",
            dependencies: ["CYAML", "CChecksum"]
        ),
        .executableTarget(
            name: "ClienteleCLI",
            dependencies: [
                "Clientele",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ClienteleTests",
            dependencies: ["Clientele"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ClienteleCLITests",
            dependencies: ["Clientele", "ClienteleCLI"],
            exclude: ["Golden", "Scenarios"]
        ),
    ]
)
