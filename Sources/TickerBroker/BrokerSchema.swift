import Logging
import PostgresNIO

/// The broker's tables, channel and lock: what `ticker feed` writes and `ticker serve --database` reads.
///
/// - `ticker_feed`, one row: the epoch (the name of the unbroken history in `ticker_ticks`), the symbol universe
///   (`COUNT:HASH`) and the feed's tick interval.
/// - `ticker_ticks`, one row per tick: `seq`, its epoch, `ts`, the changed quotes (`tick`) and the simulator's state
///   after it (`state`). Unlogged: ~9× cheaper to write; a database crash empties it, and the next leader then starts
///   a new epoch (clients resynchronise from a snapshot), which is what an epoch is for.
/// - NOTIFY on `ticker_ticks` carries `EPOCH:SEQ` only: a full tick is larger than NOTIFY's 8,000-byte limit, so the
///   notification is a wake-up and the row is the truth.
/// - The session advisory lock `lockKey` elects the one feed that writes.
public enum BrokerSchema {
    public static let channel = "ticker_ticks"
    public static let lockKey: Int64 = 0x7469_636B_6572  // "ticker"

    /// Creates the tables if they are missing (idempotent). Run by the leader only, under the lock, so two feeds
    /// starting together do not race on the catalog.
    static func create(on connection: PostgresConnection, logger: Logger) async throws {
        try await BrokerConnection.query(
            connection,
            """
            CREATE TABLE IF NOT EXISTS ticker_feed (
                id integer PRIMARY KEY CHECK (id = 1),
                epoch text NOT NULL,
                universe text NOT NULL,
                tick_interval_ms integer NOT NULL)
            """, logger: logger)
        try await BrokerConnection.query(
            connection,
            """
            CREATE UNLOGGED TABLE IF NOT EXISTS ticker_ticks (
                seq bigint PRIMARY KEY,
                epoch text NOT NULL,
                ts bigint NOT NULL,
                tick text NOT NULL,
                state text NOT NULL)
            """, logger: logger)
    }
}
