import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle
import TickerCore

/// An edge's view of the feed in PostgreSQL: LISTEN, catch up from the table, then follow every notification.
///
/// A notification is only a wake-up; the rows are the truth, read `WHERE seq > last ORDER BY seq`, so whatever
/// happened to the connection (a restart of PostgreSQL, `pg_terminate_backend`, a silently dead path) the edge applies
/// every tick once, in order: after a reconnection it catches up from the table before it follows again. When the
/// feed has been silent for three tick intervals it checks the connection with a bounded `SELECT 1` and reconnects
/// if that fails.
public struct TickFollower: Service {
    /// What the follower tells the edge.
    public struct Sink: Sendable {
        /// The database is reachable (true) or not (false, with why).
        public var connection: @Sendable (Bool, String?) -> Void
        /// Start from this full state (the first time, after a gap the table no longer covers, or in a new epoch).
        public var start: @Sendable (FeedStart) -> Void
        /// The next tick, in `seq` order with no gap, of the current epoch.
        public var tick: @Sendable (FeedTick) -> Void
        /// The next ticks (two or more), in `seq` order with no gap, that were published while this edge was not
        /// connected, read at once when it is again: the edge applies each, and its clients get them folded, as a
        /// slow consumer does.
        public var caughtUp: @Sendable ([FeedTick]) -> Void

        public init(
            connection: @escaping @Sendable (Bool, String?) -> Void, start: @escaping @Sendable (FeedStart) -> Void,
            tick: @escaping @Sendable (FeedTick) -> Void, caughtUp: @escaping @Sendable ([FeedTick]) -> Void
        ) {
            self.connection = connection
            self.start = start
            self.tick = tick
            self.caughtUp = caughtUp
        }
    }

    /// The feed's whole state at one seq.
    public struct FeedStart: Sendable {
        public var epoch: String
        public var seq: UInt64
        public var ts: Int64
        public var quotes: [Quote]
        public var tickIntervalMs: Int
    }

    let url: DatabaseURL
    let universe: Universe
    let count: Int
    let logger: Logger
    let sink: Sink
    private let applied = NIOLockedValueBox<FeedPosition?>(nil)
    private let heard = NIOLockedValueBox(ContinuousClock.now)
    private let tickInterval = NIOLockedValueBox(Duration.milliseconds(100))

    public init(url: DatabaseURL, catalog: SymbolCatalog, logger: Logger, sink: Sink) {
        self.url = url
        universe = Universe(catalog)
        count = catalog.count
        self.logger = logger
        self.sink = sink
    }

    public func run() async throws {
        var attempt = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let connection = try await BrokerConnection.open(url, logger: logger)
                attempt = 0
                defer { BrokerConnection.drop(connection) }
                try await follow(connection)
                return
            } catch is CancellationError {
                return
            } catch let mismatch as UniverseMismatch {
                logger.critical("\(mismatch.description)")
                throw mismatch
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                attempt += 1
                let reason = BrokerConnection.describe(error, url: url)
                sink.connection(false, reason)
                let delay = BrokerConnection.backoff(attempt: attempt)
                logger.error("edge: the feed's database: \(reason); retrying in \(delay)")
                try? await Task.sleep(for: delay)
            }
        }
    }

    private func follow(_ connection: PostgresConnection) async throws {
        try await connection.listen(on: BrokerSchema.channel) { notifications in
            // LISTEN is active: catching up now cannot miss a commit.
            sink.connection(true, nil)
            // What was published while this edge was not connected reaches its clients folded into one frame.
            try await catchUp(connection, folding: true)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watch(connection) }
                group.addTask {
                    for try await _ in notifications.cancelOnGracefulShutdown() {
                        heard.withLockedValue { $0 = .now }
                        try await catchUp(connection, folding: false)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// After three tick intervals of silence, a `SELECT 1` that must answer within two seconds; otherwise the
    /// connection is closed, which ends the notifications with an error, and `run` reconnects.
    private func watch(_ connection: PostgresConnection) async throws {
        while !Task.isCancelled {
            let interval = tickInterval.withLockedValue { $0 }
            try await Task.sleep(for: interval)
            let silence = ContinuousClock.now - heard.withLockedValue { $0 }
            guard silence >= interval * 3 else { continue }
            // Bounded by closing the connection: a query of postgres-nio's does not end when its task is cancelled, so
            // a timeout that only waited for the query would wait for a dead connection forever (seen here with
            // the connection's packets dropped).
            do {
                try await BrokerConnection.query(connection, "SELECT 1", logger: logger, timeout: .seconds(2))
            } catch {
                logger.warning("edge: the feed's database did not answer for \(silence): reconnecting")
                BrokerConnection.drop(connection)
                throw error
            }
            heard.withLockedValue { $0 = .now }
        }
    }

    /// Applies every stored tick after the last one applied, in order; starts over from the latest state when there is
    /// nothing to continue from (first time, a new epoch, or a gap the table no longer covers). What was read is handed
    /// on, and only then counted as applied, even when a later read fails: nothing is skipped or applied twice.
    /// With `folding`, two or more ticks read are handed on as one catch-up; without, one by one, as published (an
    /// edge a few ticks late on a busy machine is not an outage).
    private func catchUp(_ connection: PostgresConnection, folding: Bool) async throws {
        var read: [FeedTick] = []
        var epoch = ""
        defer { hand(read, epoch: epoch, folding: folding) }
        while true {
            guard let position = read.last.map({ FeedPosition(epoch: epoch, seq: $0.seq) }) ?? applied.withLockedValue({ $0 }) else {
                guard try await startFromLatest(connection) else { return }
                continue
            }
            epoch = position.epoch
            var rows: [(seq: Int64, epoch: String, ts: Int64, tick: String)] = []
            for try await row in try await BrokerConnection.query(
                connection,
                "SELECT seq, epoch, ts, tick FROM ticker_ticks WHERE seq > \(Int64(position.seq)) ORDER BY seq LIMIT 1000",
                logger: logger
            ).decode((Int64, String, Int64, String).self) {
                rows.append(row)
            }
            if !rows.isEmpty { heard.withLockedValue { $0 = .now } }
            var next = position.seq + 1
            var continued = true
            for row in rows {
                guard row.epoch == position.epoch, UInt64(row.seq) == next,
                    let tick = StoredTick.tick(seq: UInt64(row.seq), ts: row.ts, json: row.tick, count: count)
                else {
                    continued = false
                    break
                }
                read.append(tick)
                next += 1
            }
            if !continued {
                // Another epoch, or a gap: what came before it, then start over from the latest state.
                hand(read, epoch: epoch, folding: folding)
                read = []
                applied.withLockedValue { $0 = nil }
                continue
            }
            if rows.count < 1000 { return }
        }
    }

    /// Hands ticks read to the edge (folded into one catch-up, with `folding`) and records the last as applied.
    private func hand(_ ticks: [FeedTick], epoch: String, folding: Bool) {
        guard let last = ticks.last else { return }
        if folding, ticks.count > 1 {
            sink.caughtUp(ticks)
        } else {
            for tick in ticks { sink.tick(tick) }
        }
        applied.withLockedValue { $0 = FeedPosition(epoch: epoch, seq: last.seq) }
    }

    /// Reads the feed's description and its latest tick's full state, and starts from there. False when there is no
    /// feed yet (no tables, or no tick).
    private func startFromLatest(_ connection: PostgresConnection) async throws -> Bool {
        var meta: (epoch: String, universe: String, tickIntervalMs: Int)?
        var latest: (seq: Int64, epoch: String, ts: Int64, state: String)?
        do {
            for try await row in try await BrokerConnection.query(
                connection,
                "SELECT epoch, universe, tick_interval_ms FROM ticker_feed WHERE id = 1", logger: logger
            ).decode((String, String, Int).self) {
                meta = row
            }
            for try await row in try await BrokerConnection.query(
                connection,
                "SELECT seq, epoch, ts, state FROM ticker_ticks ORDER BY seq DESC LIMIT 1", logger: logger
            ).decode((Int64, String, Int64, String).self) {
                latest = row
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            return false  // no feed has ever run against this database
        }
        guard let meta else { return false }
        guard meta.universe == universe.text else {
            throw UniverseMismatch(mine: universe.text, stored: meta.universe, who: "the feed")
        }
        guard let latest, latest.epoch == meta.epoch, let state = PriceSimulator.State(json: latest.state, count: count) else {
            return false
        }
        tickInterval.withLockedValue { $0 = .milliseconds(max(1, meta.tickIntervalMs)) }
        sink.start(
            FeedStart(epoch: latest.epoch, seq: UInt64(latest.seq), ts: latest.ts, quotes: state.quotes, tickIntervalMs: meta.tickIntervalMs))
        applied.withLockedValue { $0 = FeedPosition(epoch: latest.epoch, seq: UInt64(latest.seq)) }
        heard.withLockedValue { $0 = .now }
        return true
    }
}
