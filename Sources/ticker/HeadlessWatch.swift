import ArgumentParser
import Foundation
import Synchronization
import TickerClient
import TickerCore
import TickerUI
import UnixSignals

enum HeadlessFormat: String, ExpressibleByArgument, CaseIterable {
    case table, jsonl
}

/// `ticker watch --headless`: the same client, model and view with no terminal. `table` prints the view's table (or,
/// with `--chart`, the symbol's chart) as text every interval and at exit; `jsonl` prints one JSON object per lifecycle
/// event and per quote update.
struct HeadlessWatch {
    let client: FeedClient
    let url: String
    let format: HeadlessFormat
    let interval: Duration
    let duration: Duration?
    let count: Int?
    /// The symbol whose chart is printed instead of the table.
    let chart: String?

    struct Outcome {
        var exitCode: Int32
        var message: String?
    }

    private final class Progress: Sendable {
        let model: Mutex<DashboardModel>
        let updates = Atomic<Int>(0)
        let serverError = Mutex<String?>(nil)
        init(model: DashboardModel) { self.model = Mutex(model) }
    }

    func run() async -> Outcome {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm, .sighup)
        var model = DashboardModel(url: url, now: WallClock.nowMicroseconds(), width: 120, height: 24)
        model.chart = chart.map { ChartState(symbol: $0) }
        let progress = Progress(model: model)
        let client = self.client
        let history = HistoryClient(client.configuration)
        let (historyRequests, requestHistory) = AsyncStream.makeStream(of: String.self)
        let format = self.format
        let count = self.count
        // Children return nil, except the client's run: .some(nil) when it ended normally, .some(message) on failure.
        let connectFailure = await withTaskGroup(of: String??.self) { group -> String? in
            group.addTask {
                for await event in client.events {
                    let now = WallClock.nowMicroseconds()
                    let commands = progress.model.withLock { model -> [DashboardCommand] in
                        let (next, commands) = DashboardUpdate.update(model, .client(event, now: now))
                        model = next
                        return commands
                    }
                    for case .fetchHistory(let symbol) in commands { requestHistory.yield(symbol) }
                    if format == .jsonl {
                        let clock = progress.model.withLock { $0.stats.clock }
                        for line in JSONLines.lines(for: event, now: now, clock: clock) { writeLine(line) }
                    }
                    if case .message(.quotes(_, _, let quotes, _, _), _, _, _) = event {
                        let total = progress.updates.add(quotes.count, ordering: .relaxed).newValue
                        if let count, total >= count { client.close() }
                    }
                    if case .close(let code?, let reason, _) = event, ![1000, 1001].contains(code) {
                        progress.serverError.withLock { $0 = "the server closed the connection with \(code) \(reason)" }
                        client.close()
                    }
                }
                return nil
            }
            group.addTask {
                for await symbol in historyRequests {
                    let message = await history.message(for: symbol)
                    progress.model.withLock { $0 = DashboardUpdate.update($0, message).0 }
                }
                return nil
            }
            if format == .table {
                group.addTask {
                    while (try? await Task.sleep(for: interval)) != nil { printTable(progress.model.withLock { $0 }) }
                    return nil
                }
            }
            if let duration {
                group.addTask {
                    if (try? await Task.sleep(for: duration)) != nil { client.close() }
                    return nil
                }
            }
            group.addTask {
                for await _ in signals { client.close() }
                return nil
            }
            group.addTask {
                do {
                    try await client.run()
                    return .some(nil)
                } catch {
                    return .some("\(error)")
                }
            }
            // Wait for the client's run to end (close or failure); then stop the rest.
            var failure: String?
            while let result = await group.next() {
                guard let clientResult = result else { continue }
                failure = clientResult
                break
            }
            group.cancelAll()
            return failure
        }
        if let error = progress.serverError.withLock({ $0 }) { return Outcome(exitCode: 3, message: error) }
        if let connectFailure { return Outcome(exitCode: 1, message: "cannot reach \(url): \(connectFailure)") }
        if format == .table { printTable(progress.model.withLock { $0 }) }
        if progress.updates.load(ordering: .relaxed) == 0 { return Outcome(exitCode: 2, message: "no quote updates received") }
        return Outcome(exitCode: 0, message: nil)
    }

    /// The dashboard's header and table, sized to show every row, as plain text; with `--chart`, the header and the
    /// chart at 120×40.
    private func printTable(_ model: DashboardModel) {
        var model = model
        if model.chart != nil {
            // The chart's time axis ends now, as on screen.
            model.now = WallClock.nowMicroseconds()
            model.width = 120
            model.height = 40
            let grid = DashboardView.render(model)
            // Everything but the status and key lines.
            writeLine((0..<(model.height - 2)).map(grid.line).joined(separator: "\n") + "\n")
            return
        }
        let rows = max(1, model.orderedSymbols.count)
        model.width = 120
        model.height = max(DashboardView.minimumSize.height, rows + 6)
        model.showEvents = false
        model.showHandshake = false
        model.prompt = nil
        model.showHelp = false
        let grid = DashboardView.render(model)
        // Two header lines, the column titles, the rows (or the waiting message); not the status and key lines.
        let lines = (0..<(3 + rows)).map(grid.line)
        writeLine(lines.joined(separator: "\n") + "\n")
    }
}
