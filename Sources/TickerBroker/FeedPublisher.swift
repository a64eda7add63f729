import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import TickerCore

/// `ticker feed --database URL`: the simulator alone, publishing every tick into PostgreSQL.
///
/// Several may run. Each holds one session; the one that gets the session advisory lock leads and the others poll
/// for it every 250 ms. Every write of the leader goes through that same session, so a leader that lost it (its
/// process died, its host vanished: TCP keepalives and a 3 s user timeout on the session end it) cannot write any more.
/// A new leader reads the last stored tick and its simulator state and continues the same epoch at the next `seq`,
/// with the very prices the old leader would have published.
public struct FeedPublisher: Service {
    public struct Settings: Sendable {
        public var url: DatabaseURL
        public var catalog: SymbolCatalog
        public var seed: UInt64
        public var activity: Double
        public var tickInterval: Duration
        /// Ticks kept in the table (at least 10 minutes' worth).
        public var keep: Int
        /// For tests: how far ahead of the machine's clock `ts` runs.
        public var clockSkew: Duration = .zero

        public init(url: DatabaseURL, catalog: SymbolCatalog, seed: UInt64, activity: Double, tickInterval: Duration) {
            self.url = url
            self.catalog = catalog
            self.seed = seed
            self.activity = activity
            self.tickInterval = tickInterval
            let perTenMinutes = Int(600_000 / max(1, tickInterval.milliseconds))
            keep = max(1000, perTenMinutes)
        }
    }

    /// What the feed is doing, for its log and its tests.
    public enum Role: Sendable, Equatable {
        case connecting
        case standby
        case leading(epoch: String, from: UInt64)
    }

    let settings: Settings
    let logger: Logger
    let onRole: @Sendable (Role) -> Void

    public init(settings: Settings, logger: Logger, onRole: @escaping @Sendable (Role) -> Void = { _ in }) {
        self.settings = settings
        self.logger = logger
        self.onRole = onRole
    }

    public func run() async throws {
        var attempt = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            onRole(.connecting)
            do {
                let connection = try await BrokerConnection.open(settings.url, logger: logger)
                attempt = 0
                // The session ends the connection either way (not awaited: closing one the server already closed
                // does not answer).
                defer { BrokerConnection.drop(connection) }
                try await cancelWhenGracefulShutdown { try await self.session(on: connection) }
                return
            } catch is CancellationError {
                return
            } catch let refusal as UniverseMismatch {
                logger.critical("\(refusal.description)")
                throw refusal
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                attempt += 1
                let delay = BrokerConnection.backoff(attempt: attempt)
                logger.error("feed: \(BrokerConnection.describe(error, url: settings.url)); retrying in \(delay)")
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// One session: wait for the lock, then lead until the session fails.
    private func session(on connection: PostgresConnection) async throws {
        // The database ends this session (and frees the lock) about 3 s after this host vanishes: keepalive probes
        // after 1 s of silence, and a 3 s user timeout, which also covers an answer of the server's left unacknowledged
        // (keepalives alone would wait for its retransmissions). Measured with the session's packets dropped: 3.1 s
        // to the new leader's first tick at a client, 4.1 s with keepalives of 2 s + 2 × 1 s alone
        // (`swift test --filter leaderHostVanishes`).
        for (setting, value) in [
            ("tcp_keepalives_idle", "1"), ("tcp_keepalives_interval", "1"), ("tcp_keepalives_count", "2"), ("tcp_user_timeout", "3000"),
        ] {
            try await BrokerConnection.query(connection, "SELECT set_config(\(setting), \(value), false)", logger: logger)
        }
        var announcedStandby = false
        while true {
            var granted = false
            for try await value in try await BrokerConnection.query(
                connection, "SELECT pg_try_advisory_lock(\(BrokerSchema.lockKey))", logger: logger
            )
            .decode(Bool.self) {
                granted = value
            }
            if granted { break }
            if !announcedStandby {
                logger.info("feed: standing by (another feed leads)")
                onRole(.standby)
                announcedStandby = true
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        try await BrokerSchema.create(on: connection, logger: logger)
        let (epoch, resumed) = try await resume(on: connection)
        var simulator = resumed
        logger.info("feed: leading epoch \(epoch) from seq \(simulator.seq)")
        onRole(.leading(epoch: epoch, from: simulator.seq))
        let clock = ContinuousClock()
        var deadline = clock.now
        while !Task.isShuttingDownGracefully {
            deadline = max(deadline.advanced(by: settings.tickInterval), clock.now)
            try await Task.sleep(until: deadline, clock: clock)
            let ts = WallClock.nowMicroseconds() + settings.clockSkew.microseconds
            let tick = simulator.step(timestamp: ts)
            let state = simulator.state
            try await BrokerConnection.query(
                connection,
                """
                WITH t AS (INSERT INTO ticker_ticks (seq, epoch, ts, tick, state)
                           VALUES (\(Int64(tick.seq)), \(epoch), \(tick.ts), \(StoredTick.tickJSON(tick)), \(state.json)) RETURNING seq)
                SELECT pg_notify('\(unescaped: BrokerSchema.channel)', \(epoch) || ':' || seq) FROM t
                """, logger: logger)
            if tick.seq % 100 == 0 {
                try await BrokerConnection.query(
                    connection, "DELETE FROM ticker_ticks WHERE seq <= \(Int64(tick.seq) - Int64(settings.keep))", logger: logger)
            }
        }
    }

    /// Where to continue: the stored epoch and the simulator after its last tick, or a new epoch from `--seed` when
    /// there is no history (a first start, or a database crash emptied the ticks).
    private func resume(on connection: PostgresConnection) async throws -> (String, PriceSimulator) {
        let universe = Universe(settings.catalog)
        var stored: (epoch: String, universe: String)?
        for try await (epoch, storedUniverse) in try await BrokerConnection.query(
            connection,
            "SELECT epoch, universe FROM ticker_feed WHERE id = 1", logger: logger
        ).decode((String, String).self) {
            stored = (epoch, storedUniverse)
        }
        if let stored, stored.universe != universe.text {
            throw UniverseMismatch(mine: universe.text, stored: stored.universe, who: "the database's feed")
        }
        var last: (seq: Int64, epoch: String, state: String)?
        for try await row in try await BrokerConnection.query(
            connection,
            "SELECT seq, epoch, state FROM ticker_ticks ORDER BY seq DESC LIMIT 1", logger: logger
        ).decode((Int64, String, String).self) {
            last = row
        }
        if let stored, let last, last.epoch == stored.epoch,
            let state = PriceSimulator.State(json: last.state, count: settings.catalog.count)
        {
            try await BrokerConnection.query(
                connection,
                "UPDATE ticker_feed SET tick_interval_ms = \(Int(settings.tickInterval.milliseconds)) WHERE id = 1", logger: logger)
            return (stored.epoch, PriceSimulator(catalog: settings.catalog, activity: settings.activity, restoring: state))
        }
        // No history to continue: a new epoch, seq from 1.
        let epoch = Epoch.fresh()
        if stored != nil { logger.warning("feed: the stored ticks are gone (a database crash?): starting a new epoch \(epoch)") }
        try await BrokerConnection.query(connection, "DELETE FROM ticker_ticks", logger: logger)
        try await BrokerConnection.query(
            connection,
            """
            INSERT INTO ticker_feed (id, epoch, universe, tick_interval_ms)
            VALUES (1, \(epoch), \(universe.text), \(Int(settings.tickInterval.milliseconds)))
            ON CONFLICT (id) DO UPDATE SET epoch = EXCLUDED.epoch, universe = EXCLUDED.universe,
                tick_interval_ms = EXCLUDED.tick_interval_ms
            """, logger: logger)
        return (epoch, PriceSimulator(catalog: settings.catalog, seed: settings.seed, activity: settings.activity))
    }
}
