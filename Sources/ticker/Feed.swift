import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TickerAssets
import TickerBroker
import TickerCore
import UnixSignals

/// `ticker feed --database URL`: the simulator alone, publishing every tick into PostgreSQL for `ticker serve
/// --database` edges. Several may run: one leads, the others stand by and take over when it goes.
struct Feed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the price simulator alone and publish every tick into PostgreSQL, for `ticker serve --database` edges.",
        discussion: """
            Several feeds may run against one database: the one holding a PostgreSQL advisory lock leads, the others \
            stand by and take over within a second of its death, continuing the same seq and prices. Prints a line when \
            it stands by and when it leads. SIGINT or SIGTERM stops it.
            """)

    @OptionGroup var broker: DatabaseOptions
    @Option(name: .customLong("tick-ms"), help: "Milliseconds between feed ticks.") var tickMs = 100
    @Option(help: "Probability that a symbol changes in a tick, 0 to 1.") var activity = 0.6
    @Option(help: "Simulate the first N symbols; above the assets' count, synthetic symbols are added.") var symbolCount: Int?
    @Option(help: "Seed of the price simulator; the same seed publishes the same ticks, failovers included.") var seed: UInt64 = 1
    @OptionGroup var log: LogOptions

    func validate() throws {
        guard (1...60_000).contains(tickMs) else { throw ValidationError("--tick-ms must be from 1 to 60000, got \(tickMs)") }
        guard (0...1).contains(activity) else { throw ValidationError("--activity must be from 0 to 1, got \(activity)") }
        if let symbolCount, !(1...100_000).contains(symbolCount) {
            throw ValidationError("--symbol-count must be from 1 to 100000, got \(symbolCount)")
        }
        guard try broker.resolved() != nil else {
            throw ValidationError("ticker feed needs --database postgres://USER@HOST:PORT/DATABASE (or TICKER_DATABASE_URL)")
        }
    }

    func run() async throws {
        guard let url = try broker.resolved() else { throw ExitCode.validationFailure }
        let catalog = try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: symbolCount)
        let logger = log.makeLogger(label: "ticker.feed")
        let publisher = FeedPublisher(
            settings: .init(url: url, catalog: catalog, seed: seed, activity: activity, tickInterval: .milliseconds(tickMs)),
            logger: logger
        ) { role in
            switch role {
            case .connecting: break
            case .standby: writeLine("ticker feed: standing by on \(url) (another feed leads)")
            case .leading(let epoch, let seq): writeLine("ticker feed: leading epoch \(epoch) from seq \(seq) on \(url)")
            }
        }
        let group = ServiceGroup(
            configuration: .init(services: [publisher], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let mismatch as UniverseMismatch {
            writeError("ticker feed: \(mismatch.description)")
            throw ExitCode(1)
        }
    }
}
