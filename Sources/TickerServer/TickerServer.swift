import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import TickerCore
import UnixSignals

/// `ticker serve`: the simulated feed, `ticker.v1` WebSocket push at `/ws`, polling and long polling under `/api`,
/// the browser dashboard at `/`, `/healthz` and `/metrics`.
public struct TickerServer: Sendable {
    public let configuration: TickerServerConfiguration
    /// This server's running totals (connections, frames, bytes, conflated ticks).
    public let stats = ServerStats()
    let catalog: SymbolCatalog
    let webDirectory: String
    let logger: Logger
    let tlsConfiguration: TLSConfiguration?

    /// - Parameters:
    ///   - assetsJSON: the bytes of `symbols.json`.
    ///   - webDirectory: the folder served at `/` (the browser dashboard).
    public init(configuration: TickerServerConfiguration, assetsJSON: Data, webDirectory: URL, logger: Logger) throws {
        self.configuration = configuration
        self.catalog = try SymbolCatalog(assetsJSON: assetsJSON, count: configuration.symbolCount)
        self.webDirectory = webDirectory.path
        self.logger = logger
        self.tlsConfiguration = try configuration.tls.map(Self.loadTLS)
    }

    /// Why the TLS files could not be used.
    public struct TLSSetupError: Error, CustomStringConvertible {
        public var description: String
    }

    private static func loadTLS(_ files: TickerServerConfiguration.TLSFiles) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificateChainPath)
        } catch {
            throw TLSSetupError(description: "cannot read a PEM certificate chain from \(files.certificateChainPath): \(error)")
        }
        guard !chain.isEmpty else { throw TLSSetupError(description: "no certificate in \(files.certificateChainPath)") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem)
        } catch {
            throw TLSSetupError(description: "cannot read a PEM private key from \(files.privateKeyPath): \(error)")
        }
        return .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    /// Runs until graceful shutdown (one of `signals`, or the surrounding task group's). `onListening` gets the bound
    /// port as soon as the server accepts connections.
    public func run(
        gracefulShutdownSignals signals: [UnixSignal] = [], onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        var groupConfiguration = ServiceGroupConfiguration(
            services: try makeServices(onListening: onListening), gracefulShutdownSignals: signals, cancellationSignals: [],
            logger: logger)
        // Sockets get 1001 and `closeTimeout` to answer; whatever is still running after this is cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.closeTimeout + .milliseconds(500)
        try await ServiceGroup(configuration: groupConfiguration).run()
    }

    /// The feed, the HTTP/WebSocket application and the fan-out, in the order a `ServiceGroup` must run them: it shuts
    /// services down in reverse, so the fan-out closes every socket with 1001 before the application stops.
    public func makeServices(onListening: @escaping @Sendable (Int) async -> Void) throws -> [any Service] {
        let simulator = PriceSimulator(catalog: catalog, seed: configuration.seed, activity: configuration.activity)
        let fanOut = FanOut(
            catalog: catalog, initialQuotes: simulator.quotes, configuration: configuration, metrics: ServerMetrics(), logger: logger)
        stats.attach(fanOut)
        let eventLoops: any EventLoopGroup =
            configuration.eventLoopGroup ?? configuration.eventLoopThreads.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
            ?? MultiThreadedEventLoopGroup.singleton
        // One source of ticks: the simulator in this process, or (an edge) the feed's ticks from the broker.
        let feed: any Service =
            if let database = configuration.database {
                BrokerFeed(database: database, catalog: catalog, fanOut: fanOut, logger: logger)
            } else {
                PriceFeed(simulator: simulator, interval: configuration.tickInterval, fanOut: fanOut, eventLoop: eventLoops.next())
            }
        return [feed, try makeApplication(fanOut: fanOut, eventLoops: eventLoops, onListening: onListening), fanOut]
    }

    private func makeApplication(
        fanOut: FanOut, eventLoops: any EventLoopGroup, onListening: @escaping @Sendable (Int) async -> Void
    ) throws -> some Service {
        let router = Router()
        let (webDirectory, serverLogger) = (self.webDirectory, self.logger)
        router.addMiddleware {
            MetricsMiddleware()
            AccessMiddleware(policy: configuration.access)
            FileMiddleware(webDirectory, searchForIndexHtml: true, logger: serverLogger)
        }
        HTTPRoutes(fanOut: fanOut, startedAt: .now).register(on: router)
        let plain = HTTPServerBuilder { responder in HTTPAndWebSocketChannel(responder: responder, fanOut: fanOut) }
        return Application(
            router: router,
            server: try tlsConfiguration.map { try .tls(plain, tlsConfiguration: $0) } ?? plain,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ticker"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                fanOut.listening(on: port)
                await onListening(port)
            },
            eventLoopGroupProvider: .shared(eventLoops),
            logger: serverLogger)
    }
}
