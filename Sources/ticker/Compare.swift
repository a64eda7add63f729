import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TickerClient
import TickerCompare
import TickerServer

/// `ticker compare`: polling vs long polling vs Server-Sent Events vs WebSocket, measured side by side.
struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure short polling, long polling, Server-Sent Events and a WebSocket side by side on the same feed.",
        discussion: """
            Each style runs through its own counting TCP proxy on loopback, so bytes include HTTP headers and WebSocket \
            framing. Missed updates and staleness are counted against an oracle WebSocket subscription. Repeat \
            --poll-interval to sweep (e.g. --poll-interval 50 --poll-interval 250 --poll-interval 1000). docs/COMPARE.md \
            explains the results.
            """)

    @Option(help: "A running server (ws://HOST:PORT/ws); without it a server is started in this process.") var url: String?
    @Option(help: "Seconds to measure.") var duration = 10.0
    @Option(name: .customLong("poll-interval"), help: "Short-polling interval in ms; repeat to compare several.")
    var pollIntervals: [Int] = []
    @Option(help: "Comma-separated symbols every style watches.") var symbols = "AAPL,MSFT,NVDA,TSLA,AMZN"
    @Option(help: "Output: table or json.") var format: ReportFormat = .table
    @OptionGroup var feed: ServerOptions

    func validate() throws {
        guard duration > 0, duration <= 3600 else { throw ValidationError("--duration must be from 0 to 3600 seconds") }
        guard pollIntervals.allSatisfy({ (10...60_000).contains($0) }) else {
            throw ValidationError("--poll-interval must be from 10 to 60000 ms")
        }
        if let url {
            do {
                _ = try WebSocketURL(url)
            } catch {
                throw ValidationError("--url: \(error)")
            }
        }
    }

    func run() async throws {
        let watched = symbols.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces).uppercased() }
        let intervals = (pollIntervals.isEmpty ? [250] : pollIntervals).map { Duration.milliseconds($0) }
        let live = format == .table && isatty(STDOUT_FILENO) == 1
        let report: @Sendable ([StyleRun.Progress]) -> Void = { rows in
            guard live else { return }
            writeLine("\u{1B}[H\u{1B}[2J" + CompareTable.progress(rows))
        }
        let result: Comparison.Result
        if let url {
            let target = try WebSocketURL(url)
            result = try await Comparison(
                host: target.host, port: target.port, symbols: watched, duration: .seconds(duration), pollIntervals: intervals
            ).run(progress: report)
        } else {
            var logger = Logger(label: "ticker.compare")
            logger.logLevel = .error
            let embedded = try await EmbeddedServer.start(
                feed.makeServer(host: "127.0.0.1", port: 0, logger: logger), logger: logger)
            do {
                result = try await Comparison(
                    host: "127.0.0.1", port: embedded.port, symbols: watched, duration: .seconds(duration), pollIntervals: intervals
                ).run(progress: report)
            } catch {
                await embedded.stop()
                throw error
            }
            await embedded.stop()
        }
        switch format {
        case .table:
            writeLine(CompareTable.final(result))
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            writeLine(String(decoding: try encoder.encode(result), as: UTF8.self))
        }
    }
}
