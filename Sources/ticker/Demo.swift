import ArgumentParser
import Logging
import ServiceLifecycle
import TickerClient
import TickerCore
import TickerServer
import TickerUI

/// `ticker demo`: the server and the dashboard side by side in one process, nothing to set up.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server in-process on a free port and watch it: dashboard and server pane side by side.",
        discussion: "q quits both. To run them apart, use `ticker serve` and `ticker watch` in two terminals.")

    @OptionGroup var feed: ServerOptions
    @OptionGroup var display: DisplayOptions

    func run() async throws {
        let relay = LogRelay()
        var logger = Logger(label: "ticker.serve") { relay.handler(label: $0) }
        logger.logLevel = .info
        let server = try feed.makeServer(host: "127.0.0.1", port: 0, logger: logger)
        let embedded = try await EmbeddedServer.start(server, logger: logger)

        let url = "ws://127.0.0.1:\(embedded.port)/ws"
        var model = DashboardModel(url: url, now: WallClock.nowMicroseconds())
        model.server = ServerPaneState(url: url)
        let stats = server.stats
        var configuration = FeedClient.Configuration(url: try WebSocketURL(url))
        configuration.tapFrames = true
        let dashboard = InteractiveDashboard(
            client: FeedClient(configuration: configuration), model: model, palette: display.effectivePalette,
            companions: [
                { program in relay.attach { program.send(.serverLog($0)) } },
                { program in
                    var previous = await stats.snapshot()
                    while (try? await Task.sleep(for: .seconds(1))) != nil {
                        let current = await stats.snapshot()
                        program.send(
                            .server(
                                ServerSample(
                                    connectedClients: current.connections, framesPerSecond: current.framesSent - previous.framesSent,
                                    bytesPerSecond: current.bytesSent - previous.bytesSent, conflatedTicks: current.conflatedTicks,
                                    ticks: current.ticks)))
                        previous = current
                    }
                },
            ])
        let failure = await dashboard.run()
        await embedded.stop()
        if let failure {
            writeError("ticker demo: the dashboard could not reach its own server: \(failure)")
            throw ExitCode(1)
        }
    }
}
