import ArgumentParser
import Foundation
import TickerCore

/// `--database URL` (or `TICKER_DATABASE_URL`): the PostgreSQL that carries the feed from `ticker feed` to the edges.
/// The password may come from `PGPASSWORD` instead of the URL, so it need not appear in a process listing.
struct DatabaseOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "PostgreSQL carrying the feed: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (also TICKER_DATABASE_URL).",
            discussion: "Talk to PostgreSQL directly: a transaction-mode pooler (PgBouncer's) breaks LISTEN and session locks without an error."))
    var database: String?

    /// The URL given, `--database` winning over `TICKER_DATABASE_URL` and a password in it over `PGPASSWORD`; nil for none.
    func resolved() throws -> DatabaseURL? {
        let environment = ProcessInfo.processInfo.environment
        guard let text = database ?? environment["TICKER_DATABASE_URL"] else { return nil }
        do {
            return try DatabaseURL(text, environmentPassword: environment["PGPASSWORD"])
        } catch {
            throw ValidationError(error.description)
        }
    }
}
