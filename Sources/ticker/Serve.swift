import ArgumentParser
import Foundation
import NIOCore
import TickerAssets
import TickerCore
import TickerServer
import UnixSignals

/// `ticker serve`: runs the server until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server: a seeded price simulator pushed over WebSocket (ticker.v1), with polling endpoints.",
        discussion: """
            Prints one line with the ws:// URL once it listens. Endpoints: /ws (WebSocket, subprotocol ticker.v1), \
            /api/symbols, /api/quotes, /api/quotes/poll (long poll), /healthz, /metrics, and the browser dashboard at /.
            With --database it is an edge: no simulator of its own, it follows `ticker feed` through PostgreSQL and serves             exactly the same. SIGINT or SIGTERM closes every WebSocket with 1001 and exits 0.
            """)

    @OptionGroup var listen: ListenOptions
    @OptionGroup var feed: ServerOptions
    @OptionGroup var tls: TLSOptions
    @OptionGroup var broker: DatabaseOptions
    @OptionGroup var log: LogOptions

    func run() async throws {
        raiseDescriptorLimit()
        let database = try broker.resolved()
        let server = try feed.makeServer(
            host: listen.host, port: listen.port, logger: log.makeLogger(label: "ticker.serve"), tls: tls.files, database: database)
        let host = listen.host
        let secure = tls.files != nil
        do {
            try await server.run(gracefulShutdownSignals: [.sigterm, .sigint]) { port in
                let (ws, http) = secure ? ("wss", "https") : ("ws", "http")
                let source = database.map { "the feed at \($0)" } ?? "simulated quotes"
                writeLine("ticker: serving \(source) on \(ws)://\(host):\(port)/ws (dashboard \(http)://\(host):\(port)/)")
            }
        } catch let mismatch as UniverseMismatch {
            writeError("ticker serve: \(mismatch.description)")
            throw ExitCode(1)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            writeError(
                "ticker serve: port \(listen.port) on \(host) is already in use (another ticker serve?); stop that process, "
                    + "or pick another port with --port (--port 0 picks a free one)")
            throw ExitCode(1)
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            writeError("ticker serve: cannot listen on \(host): it is not an address of this machine (try --host 127.0.0.1 or 0.0.0.0)")
            throw ExitCode(1)
        }
    }
}
