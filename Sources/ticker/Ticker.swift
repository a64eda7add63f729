import ArgumentParser

/// `ticker`: a teaching-grade real-time market dashboard. Simulated prices, pushed over WebSocket.
@main
struct Ticker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulated stock quotes pushed over WebSocket, and the dashboards that watch them.",
        discussion: "All prices are simulated; none of this is market data.",
        subcommands: [Serve.self, Feed.self, Watch.self, Demo.self, Tour.self, Compare.self, Bench.self]
    )
}
