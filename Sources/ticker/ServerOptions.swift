import ArgumentParser
import Foundation
import Logging
import TickerAssets
import TickerCore
import TickerServer

/// Where `ticker serve` listens.
struct ListenOptions: ParsableArguments {
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 8080

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535 (0 picks a free one), got \(port)") }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
    }
}

/// `--tls-cert` and `--tls-key`: serve `wss://` and `https://`.
struct TLSOptions: ParsableArguments {
    @Option(help: "PEM certificate chain: serve wss:// and https:// (needs --tls-key).") var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") var tlsKey: String?

    func validate() throws {
        switch (tlsCert, tlsKey) {
        case (nil, nil):
            break
        case (let cert?, let key?):
            for (flag, path) in [("--tls-cert", cert), ("--tls-key", key)] where !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(flag): cannot read \(path)")
            }
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
    }

    var files: TickerServerConfiguration.TLSFiles? {
        guard let tlsCert, let tlsKey else { return nil }
        return .init(certificateChainPath: tlsCert, privateKeyPath: tlsKey)
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
    @Option(name: .customLong("ping-interval-ms"), help: "Ping a peer heard nothing from for this long (dead-peer detection).")
    var pingIntervalMs = 15000
    @Option(name: .customLong("ping-timeout-ms"), help: "Close a peer that leaves a ping unanswered this long (1001 Ping timeout).")
    var pingTimeoutMs = 10000
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
    @Option(help: "Symbols one WebSocket client may subscribe to (* counts all); more gets too_many_subscriptions.")
    var maxSubscriptions = 10_000
    @Option(name: .customLong("long-poll-timeout-ms"), help: "Long-poll wait when the request gives no timeoutMs.")
    var longPollTimeoutMs = 25_000
    @Option(name: .customLong("long-poll-max-timeout-ms"), help: "Largest timeoutMs a long poll may ask for; more is a 400.")
    var longPollMaxTimeoutMs = 60_000
    @Option(help: "Long polls answered at once; more get 503 too_many_long_polls with Retry-After.")
    var maxLongPolls = 1000
    @Option(help: "Changes kept per symbol for GET /api/history and the dashboard's chart (also the most points it answers).")
    var history = 1000
    @Option(help: "Largest HTTP request head (request line and headers) in bytes; larger is answered 431 and closed.")
    var maxHeaderBytes = 16 * 1024
    @Option(name: .customLong("header-timeout-ms"), help: "Close a connection that has not sent a whole request head this long (408).")
    var headerTimeoutMs = 10_000
    @Option(help: "Kernel send buffer per WebSocket in bytes (SO_SNDBUF): bounds a stalled client's backlog before conflation.")
    var socketSendBuffer = 256 * 1024
    @Option(help: "Accept permessage-deflate from clients that offer it: each tick frame compressed once for all of them.")
    var compression: OnOff = .on
    @Option(help: "Event-loop threads for the sockets (default: one per core).") var threads: Int?
    @Option(help: "This server's name in welcome (default: the host name and the bound port).") var nodeName: String?

    func validate() throws {
        guard (1...60_000).contains(tickMs) else { throw ValidationError("--tick-ms must be from 1 to 60000, got \(tickMs)") }
        guard (0...1).contains(activity) else { throw ValidationError("--activity must be from 0 to 1, got \(activity)") }
        if let symbolCount, !(1...100_000).contains(symbolCount) {
            throw ValidationError("--symbol-count must be from 1 to 100000, got \(symbolCount)")
        }
        guard heartbeatMs >= 1, pingIntervalMs >= 1, pingTimeoutMs >= 1, slowConsumerMs >= 1 else {
            throw ValidationError("--heartbeat-ms, --ping-interval-ms, --ping-timeout-ms and --slow-consumer-ms must be positive")
        }
        guard maxMessageBytes >= 256 else { throw ValidationError("--max-message-bytes must be at least 256") }
        guard messagesPerSecond >= 1 else { throw ValidationError("--messages-per-second must be at least 1") }
        guard maxSubscriptions >= 1 else { throw ValidationError("--max-subscriptions must be at least 1") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be from 1 to 256") }
        guard (1024...(1 << 20)).contains(maxHeaderBytes) else {
            throw ValidationError("--max-header-bytes must be from 1024 to 1048576, got \(maxHeaderBytes)")
        }
        guard (1...600_000).contains(headerTimeoutMs) else {
            throw ValidationError("--header-timeout-ms must be from 1 to 600000, got \(headerTimeoutMs)")
        }
        guard (4096...(64 << 20)).contains(socketSendBuffer) else {
            throw ValidationError("--socket-send-buffer must be from 4096 to 67108864 bytes, got \(socketSendBuffer)")
        }
        guard maxLongPolls >= 1 else { throw ValidationError("--max-long-polls must be at least 1") }
        guard (1...1_000_000).contains(history) else { throw ValidationError("--history must be from 1 to 1000000, got \(history)") }
        guard (1...3_600_000).contains(longPollMaxTimeoutMs) else {
            throw ValidationError("--long-poll-max-timeout-ms must be from 1 to 3600000, got \(longPollMaxTimeoutMs)")
        }
        guard (0...longPollMaxTimeoutMs).contains(longPollTimeoutMs) else {
            throw ValidationError(
                "--long-poll-timeout-ms must be from 0 to --long-poll-max-timeout-ms (\(longPollMaxTimeoutMs)), got \(longPollTimeoutMs)")
        }
        if let nodeName, nodeName.isEmpty || nodeName.count > 200 { throw ValidationError("--node-name must be 1 to 200 characters") }
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
        configuration.pingTimeout = .milliseconds(pingTimeoutMs)
        configuration.maxMessageBytes = maxMessageBytes
        configuration.messagesPerSecond = messagesPerSecond
        configuration.slowConsumerTimeout = .milliseconds(slowConsumerMs)
        configuration.access.allowedOrigins = allowedOrigins
        configuration.access.token = effectiveToken
        configuration.access.maxConnections = maxConnections
        configuration.maxSubscriptionsPerClient = maxSubscriptions
        configuration.pollLimits = .init(defaultTimeoutMs: longPollTimeoutMs, maxTimeoutMs: longPollMaxTimeoutMs)
        configuration.maxConcurrentLongPolls = maxLongPolls
        configuration.historyDepth = history
        configuration.eventLoopThreads = threads
        configuration.compression = compression.isOn
        configuration.socketSendBufferBytes = socketSendBuffer
        configuration.maxHeaderBytes = maxHeaderBytes
        configuration.headerTimeout = .milliseconds(headerTimeoutMs)
        configuration.nodeName = nodeName
        return configuration
    }

    /// `--token`, or else the `TICKER_TOKEN` environment variable.
    var effectiveToken: String? { token ?? ProcessInfo.processInfo.environment["TICKER_TOKEN"] }

    func makeServer(
        host: String, port: Int, logger: Logger, tls: TickerServerConfiguration.TLSFiles? = nil, database: DatabaseURL? = nil
    ) throws -> TickerServer {
        let assets: Foundation.Data
        do {
            assets = try TickerAssets.symbolsJSON()
        } catch {
            throw ValidationError(
                "cannot read symbols.json from \(TickerAssets.directory.path) (\(error.localizedDescription)); set TICKER_ASSETS to the Assets folder"
            )
        }
        var configuration = configuration(host: host, port: port)
        configuration.tls = tls
        configuration.database = database
        do {
            return try TickerServer(
                configuration: configuration, assetsJSON: assets, webDirectory: TickerAssets.webDirectory, logger: logger)
        } catch let error as TickerServer.TLSSetupError {
            throw ValidationError(error.description)
        }
    }
}
