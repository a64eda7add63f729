import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import TickerCore

/// Opening a session to the broker, and saying plainly why one could not be opened.
enum BrokerConnection {
    private static let ids = NIOLockedValueBox(0)

    /// Connects straight to PostgreSQL (never through a transaction-mode pooler: it would break LISTEN and the
    /// session lock without an error).
    static func open(_ url: DatabaseURL, logger: Logger) async throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        let id = ids.withLockedValue { value -> Int in
            value += 1
            return value
        }
        return try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
    }

    /// Runs a query, failing at once on a connection already closed and after `timeout` on one that does not answer.
    ///
    /// Measured here with postgres-nio 1.33.2: a query started on a connection the server had just closed (a restart
    /// of PostgreSQL while the connection was idle) never returned; the feed then stood still until killed.
    @discardableResult
    static func query(
        _ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger, timeout: Duration = .seconds(5)
    ) async throws -> PostgresRowSequence {
        guard !connection.isClosed else { throw ConnectionLost() }
        return try await withThrowingTaskGroup(of: PostgresRowSequence?.self) { group in
            group.addTask { try await connection.query(query, logger: logger) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let rows = try await group.next() ?? nil else {
                drop(connection)
                throw ConnectionLost()
            }
            return rows
        }
    }

    /// The connection closed, or stopped answering.
    struct ConnectionLost: Error, CustomStringConvertible {
        var description: String { "the connection was lost (closed, or no answer within 5 s)" }
    }

    /// Closes a connection without waiting for it. The connection is kept until its close completes (postgres-nio
    /// asserts that a connection is closed before it goes away).
    static func drop(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// What went wrong, in a line: the server's own message (a wrong password, a missing database), or the connection's.
    static func describe(_ error: any Error, url: DatabaseURL) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                let state = psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return "\(url.host):\(url.port): \(message)\(state)"
            }
            if let underlying = psql.underlying {
                let text = "\(underlying)"
                if text.contains("Connection refused") { return "\(url.host):\(url.port): connection refused (is PostgreSQL running there?)" }
                if text.contains("timed out") || text.contains("timeout") { return "\(url.host):\(url.port): no answer (connect timed out)" }
                return "\(url.host):\(url.port): \(text)"
            }
            return "\(url.host):\(url.port): \(psql.code)"
        }
        return "\(url.host):\(url.port): \(error)"
    }

    /// 200 ms, 400 ms, … up to 5 s, for the attempt'th retry.
    static func backoff(attempt: Int) -> Duration { .milliseconds(min(200 << min(max(attempt - 1, 0), 5), 5000)) }
}
