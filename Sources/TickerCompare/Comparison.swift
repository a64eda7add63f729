import Foundation
import Synchronization
import TickerClient
import TickerCore

/// Runs short polling (at each interval), long polling, Server-Sent Events and a WebSocket subscription at once, on the
/// same feed and symbols, each through its own counting proxy, and accounts what each saw against the feed's truth.
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
        let oracle = try await WebSocketConnection.connect(to: WebSocketURL("ws://\(host):\(port)/ws"))
        oracle.send(ClientMessage.subscribe(symbols: symbols).jsonText)
        let truthSoFar = OracleState()
        let (started, startedContinuation) = AsyncStream.makeStream(of: UInt64.self)
        let oracleTask = Task {
            for await event in oracle.events {
                guard case .text(let text) = event, let message = try? ServerMessage.decode(Data(text.utf8)) else { continue }
                switch message {
                case .snapshot(let seq, _, _):
                    truthSoFar.seq.store(seq, ordering: .relaxed)
                    startedContinuation.yield(seq)
                case .quotes(let seq, let ts, let quotes, _):
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

        var styles: [(StyleRun, @Sendable (StyleRun, ContinuousClock.Instant) async -> Void)] = []
        let symbols = self.symbols
        for interval in pollIntervals {
            let run = StyleRun(style: "short polling \(interval.milliseconds) ms", requestsLabel: "requests", proxy: try await proxy())
            styles.append((run, { run, deadline in await StyleRunners.shortPolling(run, symbols: symbols, interval: interval, deadline: deadline) }))
        }
        styles.append(
            (
                StyleRun(style: "long polling", requestsLabel: "requests", proxy: try await proxy()),
                { run, deadline in await StyleRunners.longPolling(run, symbols: symbols, since: startSeq, deadline: deadline) }
            ))
        styles.append(
            (
                StyleRun(style: "server-sent events", requestsLabel: "events", proxy: try await proxy()),
                { run, deadline in await StyleRunners.serverSentEvents(run, symbols: symbols, deadline: deadline) }
            ))
        styles.append(
            (
                StyleRun(style: "websocket", requestsLabel: "frames", proxy: try await proxy()),
                { run, deadline in await StyleRunners.webSocket(run, symbols: symbols, deadline: deadline) }
            ))

        // Changes are counted for `duration`; the clients run a little longer so that a change near the end of the
        // window is not counted as missed only because the next poll had not happened yet.
        let runs = styles
        let grace = max(.seconds(1), (pollIntervals.max() ?? .zero) * 2)
        let clock = ContinuousClock()
        let windowEnd = clock.now + duration
        let deadline = windowEnd + grace
        // At the end of the window: the last tick counted, and each style's requests and bytes (its cost is what it
        // spent during the window; the grace period only lets late answers about the window arrive).
        let (endSeq, costs) = await withTaskGroup(of: (UInt64, [StyleRun.Progress])?.self) { group -> (UInt64, [StyleRun.Progress]) in
            for (run, body) in runs {
                group.addTask {
                    await body(run, deadline)
                    return nil
                }
            }
            group.addTask {
                while clock.now < windowEnd {
                    try? await Task.sleep(until: min(clock.now + .seconds(1), windowEnd))
                    progress(runs.map(\.0.progress))
                }
                return (truthSoFar.seq.load(ordering: .relaxed), runs.map(\.0.progress))
            }
            var end: (UInt64, [StyleRun.Progress]) = (startSeq, runs.map(\.0.progress))
            for await result in group { if let result { end = result } }
            return end
        }
        oracle.close()
        for (run, _) in runs { await run.proxy.stop() }

        let truth = truthSoFar.record.withLock { $0 }
        let window = (startSeq + 1)...max(startSeq + 1, endSeq)
        let reports = zip(runs, costs).map { style, cost in
            StyleReport.account(
                style: style.0.style, observations: style.0.observations.withLock { $0 }, record: truth, window: window,
                requests: cost.requests, requestsLabel: cost.requestsLabel, bytesUp: cost.bytesUp, bytesDown: cost.bytesDown)
        }
        return Result(
            symbols: symbols, durationSeconds: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18,
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

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
