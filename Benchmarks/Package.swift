// swift-tools-version:6.1
// Microbenchmarks of ticker's hot paths with ordo-one's package-benchmark:
//   cd Benchmarks && swift package benchmark                       # run, with wall clock, CPU and allocations
//   swift package benchmark baseline update main                  # record a baseline
//   swift package benchmark baseline check main                   # compare against it (regressions fail)
// A separate package so that the main build and CI do not compile the benchmark harness.
import PackageDescription

let package = Package(
    name: "ticker-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `name:` because a path dependency's identity is its folder's name, which differs between clones.
        .package(name: "ticker", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HotPaths",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TickerCore", package: "ticker"),
                .product(name: "TickerUI", package: "ticker"),
                .product(name: "TickerClient", package: "ticker"),
                .product(name: "TickerAssets", package: "ticker"),
            ],
            path: "Benchmarks/HotPaths",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
