// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ticker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ticker", targets: ["ticker"]),
        // The libraries the microbenchmarks in Benchmarks/ measure.
        .library(name: "TickerCore", targets: ["TickerCore"]),
        .library(name: "TickerClient", targets: ["TickerClient"]),
        .library(name: "TickerUI", targets: ["TickerUI"]),
        .library(name: "TickerAssets", targets: ["TickerAssets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Symbol universe and the browser page, shipped as a resource bundle next to the binary.
        .target(
            name: "TickerAssets",
            path: "Assets",
            resources: [.copy("symbols.json"), .copy("web")],
            swiftSettings: swiftSettings
        ),
        // The pure core: quotes, the simulator, wire messages, subscriptions and conflation. No I/O.
        .target(
            name: "TickerCore",
            dependencies: [
                .product(name: "Collections", package: "swift-collections")
            ],
            swiftSettings: swiftSettings
        ),
        // permessage-deflate's codec (RFC 7692) over zlib, through compress-nio: shared by the server, the client and the
        // load generator.
        .target(
            name: "TickerCompression",
            dependencies: [
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // The broker in PostgreSQL: `ticker feed` publishing ticks (one leader by advisory lock), and the follower an
        // edge (`ticker serve --database`) reads them with (LISTEN as a wake-up, the table as the truth).
        .target(
            name: "TickerBroker",
            dependencies: [
                "TickerCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Hummingbird server: feed service, WebSocket fan-out, polling endpoints, metrics.
        .target(
            name: "TickerServer",
            dependencies: [
                "TickerCore", "TickerCompression", "TickerBroker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),
        // The WebSocket client (on SwiftNIO's upgrader, so it keeps the handshake) and its live feed state.
        .target(
            name: "TickerClient",
            dependencies: [
                "TickerCore", "TickerCompression",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The dashboard's Model-Update-View: pure, draws into an in-memory cell grid.
        .target(
            name: "TickerUI",
            dependencies: ["TickerCore", "TickerClient"],
            swiftSettings: swiftSettings
        ),
        // ncursesw (Debian's libncurses-dev). No pkgConfig: SwiftPM would drop its -D flags with a warning anyway,
        // and shim.h defines what they were for.
        .systemLibrary(name: "CNcurses"),
        // The thin ncurses backend: copies a cell grid to the screen and reads keys, on one thread.
        .target(
            name: "TickerTerminal",
            dependencies: ["CNcurses", "TickerUI"],
            swiftSettings: swiftSettings
        ),
        // `ticker compare`: the four client styles run side by side through counting proxies, and their accounting.
        .target(
            name: "TickerCompare",
            dependencies: [
                "TickerCore", "TickerClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // `ticker bench`: a fan-out load generator (bare NIO clients, per-event-loop tallies) and its report.
        .target(
            name: "TickerBench",
            dependencies: [
                "TickerCore", "TickerClient", "TickerCompression",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fuzz target for client input (messages, and polling queries split by Hummingbird's own URI parser), shared by
        // the fuzzer and the regression tests.
        .target(
            name: "TickerFuzzing",
            dependencies: ["TickerCore", .product(name: "HummingbirdCore", package: "hummingbird")],
            swiftSettings: swiftSettings),
        // libFuzzer driver (built with -sanitize=fuzzer -DFUZZING by .ci/fuzz); otherwise it replays input files.
        .executableTarget(name: "TickerFuzzer", dependencies: ["TickerFuzzing"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "ticker",
            dependencies: [
                "TickerAssets", "TickerCore", "TickerServer", "TickerClient", "TickerUI", "TickerTerminal", "TickerCompare", "TickerBench",
                "TickerBroker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TickerCoreTests",
            dependencies: [
                "TickerCore", "TickerAssets", "TickerFuzzing",
                .product(name: "Collections", package: "swift-collections"),
            ],
            exclude: ["FuzzInputs"],
            swiftSettings: swiftSettings
        ),
        // permessage-deflate's compressor and inflater on their own: round trips, limits, corrupt input.
        .testTarget(
            name: "TickerCompressionTests",
            dependencies: ["TickerCompression"],
            swiftSettings: swiftSettings
        ),
        // Unit tests of the dashboard's update and view on the cell grid: no terminal.
        .testTarget(
            name: "TickerUITests",
            dependencies: ["TickerUI", "TickerClient", "TickerCore", "TickerAssets"],
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
        // The real thing: the server on an ephemeral loopback port, real WebSocket and HTTP clients, the built binary
        // (headless, and the ncurses dashboard inside tmux).
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TickerServer", "TickerCore", "TickerAssets", "TickerClient", "TickerCompare", "TickerBench", "TickerCompression",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
