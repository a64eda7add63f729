import Foundation
import Synchronization
import TickerClient
import TickerCore

/// Runs short polling (at each interval), long polling, Server-Sent Events and a WebSocket subscription (plain, and with
/// `permessage-deflate`) at once, on the same feed and symbols, each through its own counting proxy, and accounts what each saw against the feed's truth.
public struct Comparison: Sendable {
    public var host: String
    public var port: Int
    public var symbols: [String]
    public var duration: Duration
    public var pollIntervals: [Duration]

    public init(host: String, port: Int, symbols: [String], duration: Duration, pollIntervals: [Duration]) {
        self.host = host
        self.port = port
        self.symbols = symbols
        self.duration = duration
        self.pollIntervals = pollIntervals
    }

    public struct Result: Sendable, Codable {
        public var symbols: [String]
        public var durationSeconds: Double
        /// The ticks whose changes were counted: `firstSeq...lastSeq`.
        public var firstSeq: UInt64
        public var lastSeq: UInt64
        public var styles: [StyleReport]
    }

    /// Runs the comparison; `progress` is called about once a second with the counts so far.
    public func run(progress: @escaping @Sendable ([StyleRun.Progress]) -> Void = { _ in }) async throws -> Result {
        // The oracle: a WebSocket straight to the server (no proxy), recording every change of the watched symbols.
        let oracle = try await WebSocketConnection.connect(to: WebSocketURL("ws://\(host):\(port)/ws"), compression: false)
        oracle.send(ClientMessage.subscribe(symbols: symbols).jsonText)
        let truthSoFar = OracleState()
        let (started, startedContinuation) = AsyncStream.makeStream(of: UInt64.self)
        let oracleTask = Task {
            for await event in oracle.events {
                guard case .text(let text, _) = event, let message = try? ServerMessage.decode(Data(text.utf8)) else { continue }
                switch message {
                case .snapshot(let seq, _, _, _, _):
                    truthSoFar.seq.store(seq, ordering: .relaxed)
                    startedContinuation.yield(seq)
                case .quotes(let seq, let ts, let quotes, _, _):
                    truthSoFar.record.withLock { $0.record(seq: seq, ts: ts, symbols: quotes.map(\.symbol)) }
                    truthSoFar.seq.store(seq, ordering: .relaxed)
                default:
                    break
                }
            }
        }
        defer { oracleTask.cancel() }
        var startIterator = started.makeAsyncIterator()
        guard let startSeq = await startIterator.next() else { throw ComparisonError(message: "the oracle connection got no snapshot") }

        let (readiness, readinessContinuation) = AsyncStream.makeStream(of: Void.self)
        var styles: [(StyleRun, @Sendable (StyleRun) async -> Void)] = []
        let symbols = self.symbols
        func style(_ name: String, _ label: String) async throws -> StyleRun {
            StyleRun(style: name, requestsLabel: label, proxy: try await proxy(), readiness: readinessContinuation)
        }
        for interval in pollIntervals {
            styles.append(
                (
                    try await style("short polling \(interval.milliseconds) ms", "requests"),
                    { await StyleRunners.shortPolling($0, symbols: symbols, interval: interval) }
                ))
        }
        styles.append((try await style("long polling", "requests"), { await StyleRunners.longPolling($0, symbols: symbols, since: startSeq) }))
        styles.append((try await style("server-sent events", "events"), { await StyleRunners.serverSentEvents($0, symbols: symbols) }))
        styles.append((try await style("websocket", "frames"), { await StyleRunners.webSocket($0, symbols: symbols, compression: false) }))
        styles.append(
            (
                try await style("websocket (compressed)", "frames"),
                { await StyleRunners.webSocket($0, symbols: symbols, compression: true) }
            ))
        let runs = styles

        // The window opens once every style follows the feed; changes are counted for `duration` from there. The
        // clients run a little longer so that a change near the end is not counted as missed only because the next poll
        // had not happened yet.
        let grace = max(.seconds(1), (pollIntervals.max() ?? .zero) * 2)
        let clock = ContinuousClock()
        let (window, costs) = try await withThrowingTaskGroup(of: (ClosedRange<UInt64>, [StyleRun.Progress])?.self) { group in
            for (run, body) in runs {
                group.addTask {
                    await body(run)
                    return nil
                }
            }
            group.addTask {
                var ready = 0
                var signals = readiness.makeAsyncIterator()
                let readyBy = clock.now + .seconds(10)
                while ready < runs.count, clock.now < readyBy, await signals.next() != nil { ready += 1 }
                guard ready == runs.count else { throw ComparisonError(message: "not every style could follow the feed within 10 s") }
                let first = truthSoFar.seq.load(ordering: .relaxed) + 1
                let atOpen = runs.map(\.0.progress)
                let windowEnd = clock.now + duration
                for (run, _) in runs { run.deadline = windowEnd + grace }
                while clock.now < windowEnd {
                    try? await Task.sleep(until: min(clock.now + .seconds(1), windowEnd))
                    progress(runs.map(\.0.progress))
                }
                // Each style's cost is what it spent in the window (not the set-up before it, nor the grace period after).
                let last = max(first, truthSoFar.seq.load(ordering: .relaxed))
                return (first...last, zip(runs.map(\.0.progress), atOpen).map { $0.subtracting($1) })
            }
            var outcome: (ClosedRange<UInt64>, [StyleRun.Progress])?
            do {
                for try await result in group { if let result { outcome = result } }
            } catch {
                for (run, _) in runs { run.deadline = clock.now }
                throw error
            }
            return outcome!
        }
        oracle.close()
        for (run, _) in runs { await run.proxy.stop() }

        let truth = truthSoFar.record.withLock { $0 }
        let reports = zip(runs, costs).map { style, cost in
            var report = StyleReport.account(
                style: style.0.style, observations: style.0.observations.withLock { $0 }, record: truth, window: window,
                requests: cost.requests, requestsLabel: cost.requestsLabel, bytesUp: cost.bytesUp, bytesDown: cost.bytesDown)
            report.quotesReceived = cost.quotesReceived  // what arrived during the window, like the other costs
            return report
        }
        return Result(
            symbols: symbols, durationSeconds: duration.seconds,
            firstSeq: window.lowerBound, lastSeq: window.upperBound, styles: reports)
    }

    private func proxy() async throws -> CountingProxy {
        try await CountingProxy.start(targetHost: host, targetPort: port)
    }
}

/// What the oracle connection has seen so far.
private final class OracleState: Sendable {
    let record = Mutex(FeedRecord())
    let seq = Atomic<UInt64>(0)
}

public struct ComparisonError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
