import Logging
import ServiceLifecycle
import TickerBroker
import TickerCore

/// An edge's source of ticks: the feed in PostgreSQL, followed by a ``TickFollower``, each tick handed to the same
/// `FanOut.publish` the in-process simulator uses, so everything after the source is the single-process path.
struct BrokerFeed: Service {
    let database: DatabaseURL
    let catalog: SymbolCatalog
    let fanOut: FanOut
    let logger: Logger

    func run() async throws {
        let fanOut = fanOut
        let follower = TickFollower(
            url: database, catalog: catalog, logger: logger,
            sink: .init(
                connection: { connected, problem in fanOut.feedConnection(connected, problem: problem) },
                start: { start in
                    fanOut.start(epoch: start.epoch, seq: start.seq, ts: start.ts, quotes: start.quotes, tickIntervalMs: start.tickIntervalMs)
                },
                tick: { tick in fanOut.publish(tick) },
                caughtUp: { ticks in fanOut.publish(caughtUp: ticks) }))
        try await follower.run()
    }
}
