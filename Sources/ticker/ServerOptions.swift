import ArgumentParser
import Foundation
import Logging
import TickerAssets
import TickerServer

/// Where `ticker serve` listens.
struct ListenOptions: ParsableArguments {
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 8080

    func validate() throws {
    }
}

/// The feed's and the server's limits, shared by `serve` and `demo`.
struct ServerOptions: ParsableArguments {
    @Option(name: .customLong("tick-ms"), help: "Milliseconds between feed ticks.") var tickMs = 100
    @Option(help: "Probability that a symbol changes in a tick, 0 to 1 (1 = every symbol every tick).")
    var activity = 0.6
    @Option(help: "Simulate the first N symbols; above the assets' count, synthetic symbols are added.")
    var symbolCount: Int?
    @Option(help: "Seed of the price simulator; the same seed replays the same ticks.") var seed: UInt64 = 1
    @Option(name: .customLong("heartbeat-ms"), help: "Send a heartbeat to a client sent nothing for this long.")
    var heartbeatMs = 5000
    @Option(name: .customLong("ping-interval-ms"), help: "WebSocket ping period; a peer silent for a period is closed.")
    var pingIntervalMs = 15000
    @Option(help: "Largest client message in bytes; larger closes with 1009.") var maxMessageBytes = 65536
    @Option(help: "Client messages allowed per second; more gets rate_limited, then close 1008.")
    var messagesPerSecond = 50
    @Option(name: .customLong("slow-consumer-ms"), help: "Close a client stuck behind the feed this long with 1008.")
    var slowConsumerMs = 10000
    @Option(name: .customLong("allowed-origin"), help: "A browser Origin allowed to connect (repeat); others get 4403/403. Default: any.")
    var allowedOrigins: [String] = []
    @Option(help: "A token clients must present (bearer header or ?token=); also TICKER_TOKEN. Missing or wrong: 4401/401.")
    var token: String?
    @Option(help: "Most WebSocket connections and event streams at once; more get 4503/503.") var maxConnections: Int?

    func validate() throws {
        guard (1...60_000).contains(tickMs) else { throw ValidationError("--tick-ms must be from 1 to 60000, got \(tickMs)") }
        guard (0...1).contains(activity) else { throw ValidationError("--activity must be from 0 to 1, got \(activity)") }
        if let symbolCount, !(1...100_000).contains(symbolCount) {
            throw ValidationError("--symbol-count must be from 1 to 100000, got \(symbolCount)")
        }
        guard heartbeatMs >= 1, pingIntervalMs >= 1, slowConsumerMs >= 1 else {
            throw ValidationError("--heartbeat-ms, --ping-interval-ms and --slow-consumer-ms must be positive")
        }
        guard maxMessageBytes >= 256 else { throw ValidationError("--max-message-bytes must be at least 256") }
        guard messagesPerSecond >= 1 else { throw ValidationError("--messages-per-second must be at least 1") }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if let token = effectiveToken, token.isEmpty { throw ValidationError("--token must not be empty") }
    }

    /// The configuration for a server bound to `host`:`port`.
    func configuration(host: String, port: Int) -> TickerServerConfiguration {
        var configuration = TickerServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.tickInterval = .milliseconds(tickMs)
        configuration.activity = activity
        configuration.symbolCount = symbolCount
        configuration.seed = seed
        configuration.heartbeatInterval = .milliseconds(heartbeatMs)
        configuration.pingInterval = .milliseconds(pingIntervalMs)
        configuration.maxMessageBytes = maxMessageBytes
        configuration.messagesPerSecond = messagesPerSecond
        configuration.slowConsumerTimeout = .milliseconds(slowConsumerMs)
        configuration.access.allowedOrigins = allowedOrigins
        configuration.access.token = effectiveToken
        configuration.access.maxConnections = maxConnections
        return configuration
    }

    /// `--token`, or else the `TICKER_TOKEN` environment variable.
    var effectiveToken: String? { token ?? ProcessInfo.processInfo.environment["TICKER_TOKEN"] }

    func makeServer(host: String, port: Int, logger: Logger) throws -> TickerServer {
        let assets: Foundation.Data
        do {
            assets = try TickerAssets.symbolsJSON()
        } catch {
            throw ValidationError(
                "cannot read symbols.json from \(TickerAssets.directory.path) (\(error.localizedDescription)); set TICKER_ASSETS to the Assets folder"
            )
        }
        return try TickerServer(
            configuration: configuration(host: host, port: port), assetsJSON: assets, webDirectory: TickerAssets.webDirectory, logger: logger)
    }
}
