import ArgumentParser
import Foundation
import TickerClient
import TickerCore
import TickerUI

/// `ticker watch`: the live dashboard, in the terminal or headless.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch the feed: the ncurses dashboard, or with --headless the same client for scripts and CI.",
        discussion: """
            Keys: ↑↓/j k select, s sort, a add a symbol, d remove it, p pause, e events, h handshake, ? help, q quit; \
            Enter opens the selected symbol's chart (Esc back, ←→ symbol, c candles, + - time frame).
            Exit codes: 0 done; 1 the server could not be reached; headless also 2 when no quote update arrived and 3 \
            when the server closed the connection with an error.
            """)

    @OptionGroup var feed: FeedOptions
    @OptionGroup var display: DisplayOptions
    @Flag(help: "No terminal UI: print to standard output (see --format).") var headless = false
    @Option(help: "Headless output: table (the dashboard's table as text) or jsonl (one JSON object per event and quote).")
    var format: HeadlessFormat = .table
    @Option(help: "Headless table: seconds between prints (it is also printed once at exit).") var interval = 1.0
    @Option(help: "Headless: stop after this many seconds.") var duration: Double?
    @Option(help: "Headless: stop after this many quote updates (one per symbol per tick).") var count: Int?
    @Option(help: "Open with this symbol's chart (Esc goes to the table); headless table output prints the chart instead.")
    var chart: String?

    func validate() throws {
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
        if let chart, chart.trimmingCharacters(in: .whitespaces).isEmpty || chart.contains(",") || chart == "*" {
            throw ValidationError("--chart takes one symbol, such as AAPL")
        }
        if headless, chart != nil, format == .jsonl { throw ValidationError("--chart prints with --format table, not jsonl") }
        if !headless, duration != nil || count != nil {
            throw ValidationError("--duration and --count apply to --headless only")
        }
    }

    func run() async throws {
        var configuration = try feed.clientConfiguration()
        let chartSymbol = chart.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        // The chart's symbol is subscribed to, whatever --symbols says.
        if let chartSymbol, !configuration.symbols.contains("*"), !configuration.symbols.contains(chartSymbol) {
            configuration.symbols.append(chartSymbol)
        }
        // The frames pane (`w`) needs every frame; headless output has no pane for them.
        configuration.tapFrames = !headless
        let client = FeedClient(configuration: configuration)
        if headless {
            let outcome = await HeadlessWatch(
                client: client, url: feed.url, format: format, interval: .seconds(interval), duration: duration.map { .seconds($0) },
                count: count, chart: chartSymbol
            ).run()
            if let message = outcome.message { writeError("ticker watch: \(message)") }
            if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
            return
        }
        var model = DashboardModel(url: feed.url, now: WallClock.nowMicroseconds())
        model.chart = chartSymbol.map { ChartState(symbol: $0) }
        if let failure = await InteractiveDashboard(client: client, model: model, palette: display.effectivePalette).run() {
            if failure.hasPrefix("the server refused access") {
                writeError("ticker watch: \(feed.url): \(failure)")
            } else {
                writeError("ticker watch: cannot reach \(feed.url): \(failure)")
                writeError("Is the server running? Start one with: swift run ticker serve")
            }
            throw ExitCode(1)
        }
    }
}
