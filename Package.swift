// swift-tools-version: 6.0
import PackageDescription
import Foundation

/// The engine's kernels are compiled for the build machine's vector units
/// (like `-march=native`): Tern is built where it runs. Set
/// `TERN_PORTABLE=1` to build for baseline x86-64 instead.
func hostCPUFlags() -> [String] {
    #if arch(x86_64)
    if ProcessInfo.processInfo.environment["TERN_PORTABLE"] == "1" { return [] }
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return [] }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    if ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma", "bmi2"].allSatisfy(flags.contains) {
        return ["-target-cpu", "skylake-avx512"]
    }
    if ["avx2", "fma", "bmi2", "movbe"].allSatisfy(flags.contains) {
        return ["-target-cpu", "haswell"]
    }
    #endif
    return []
}

/// Numeric targets are optimised in debug builds too: an unoptimised kernel is
/// 50-100x slower, which would make seeded end-to-end training tests crawl.
let engineSettings: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(hostCPUFlags()),
]

let package = Package(
    name: "Tern",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tern", targets: ["tern"]),
        .library(name: "TernTensor", targets: ["TernTensor"]),
        .library(name: "TernNN", targets: ["TernNN"]),
        .library(name: "TernData", targets: ["TernData"]),
        .library(name: "TernFormats", targets: ["TernFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "CTernSystem"),
        // Small utilities every layer shares (JSON, decimal parsing): no
        // NIO, no Hummingbird. Optimised in debug too, like the engine: the
        // number parser's tests convert millions of values.
        .target(
            name: "TernSupport",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: engineSettings
        ),
        .target(
            name: "TernTensor",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: engineSettings
        ),
        .target(
            name: "TernNN",
            dependencies: ["TernSupport", "TernTensor", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: engineSettings
        ),
        .target(name: "TernData", dependencies: ["TernSupport", "TernTensor", "CZlib"], swiftSettings: engineSettings),
        .target(
            name: "TernFormats",
            dependencies: [
                "TernSupport", "TernTensor", "TernNN", "TernData",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: engineSettings
        ),
        .target(
            name: "TernTraining",
            dependencies: ["TernSupport", "TernTensor", "TernNN", "TernData", "TernFormats", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: engineSettings
        ),
        .target(
            name: "TernONNX",
            dependencies: [
                "TernTensor", "TernNN", "TernData", "TernFormats",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["onnx-subset.proto"],
            swiftSettings: engineSettings
        ),
        .target(
            name: "TernLLM",
            swiftSettings: engineSettings
        ),
        .target(
            name: "TernRegistry",
            dependencies: [
                "TernSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "TernServing",
            dependencies: [
                "TernSupport", "TernTensor", "TernNN", "TernData", "TernFormats", "TernONNX", "TernRegistry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: engineSettings
        ),
        .target(
            name: "TernServer",
            dependencies: [
                "TernSupport", "TernTensor", "TernNN", "TernData", "TernFormats", "TernRegistry", "TernServing",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources/openapi.json")]
        ),
        .executableTarget(
            name: "tern",
            dependencies: [
                "TernSupport", "TernTensor", "TernNN", "TernData", "TernFormats", "TernONNX", "TernTraining", "TernRegistry", "TernServing",
                "TernServer", "TernLLM",
                "CTernSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(name: "TernTesting", dependencies: ["TernTensor", "TernData", "TernFormats"]),
        .testTarget(name: "TernSupportTests", dependencies: ["TernSupport", "TernTensor"], swiftSettings: engineSettings),
        .testTarget(
            name: "TernTensorTests",
            dependencies: ["TernTensor", "TernTesting", .product(name: "RealModule", package: "swift-numerics")]
        ),
        .testTarget(name: "TernNNTests", dependencies: ["TernTensor", "TernNN", "TernTesting"]),
        .testTarget(name: "TernDataTests", dependencies: ["TernTensor", "TernData", "TernTesting"]),
        .testTarget(name: "TernFormatsTests", dependencies: ["TernTensor", "TernNN", "TernFormats", "TernTesting"]),
        .testTarget(
            name: "TernTrainingTests",
            dependencies: ["TernTensor", "TernNN", "TernData", "TernFormats", "TernTraining", "TernTesting"]
        ),
        .testTarget(
            name: "TernONNXTests",
            dependencies: ["TernTensor", "TernNN", "TernData", "TernFormats", "TernTraining", "TernONNX", "TernTesting"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TernLLMTests",
            dependencies: ["TernLLM"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TernCLITests",
            dependencies: ["TernFormats", "TernData", "TernTesting", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "TernRegistryTests", dependencies: ["TernRegistry", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "TernServingTests",
            dependencies: [
                "TernTensor", "TernNN", "TernFormats", "TernONNX", "TernRegistry", "TernServing", "TernTesting",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TernServerTests",
            dependencies: [
                "TernSupport", "TernTensor", "TernData", "TernFormats", "TernONNX", "TernTraining", "TernRegistry", "TernServing", "TernServer",
                "TernTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
