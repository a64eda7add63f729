import Foundation
import NIOCore
import Synchronization
import TickerClient
import TickerCore
import TickerUI

/// Chapter 7 live: a reader that stops reading (a 4 KiB receive buffer, so TCP pushes back on the server at once)
/// beside a healthy client, with the server's own metrics read from `/metrics` while it happens.
///
/// The reader reads for a second, stops until the server reports it behind, reads again (and gets the folded frame),
/// then stops for good until the server has closed it as a slow consumer; it then reads once more to receive the
/// close frame, which queued behind the data.
enum BackpressureRunner {
    /// The longest the reader waits for each of the server's reactions.
    static let patience: Duration = .seconds(60)

    static func run(url: WebSocketURL, http: TourHTTP, send: @escaping @Sendable (TourMessage) -> Void) async {
        let report: @Sendable (BackpressureLab.Event) -> Void = { send(.backpressure($0)) }
        let reader: WebSocketConnection
        let healthy: WebSocketConnection
        do {
            reader = try await WebSocketConnection.connect(to: url, receiveBufferSize: 4096, compression: false)
            healthy = try await WebSocketConnection.connect(to: url, compression: false)
        } catch {
            report(.failed("could not connect: \(error)"))
            return
        }
        let shared = Shared()
        reader.send(ClientMessage.subscribe(symbols: [TickerProtocol.wildcard]).jsonText)
        healthy.send(ClientMessage.subscribe(symbols: [TickerProtocol.wildcard]).jsonText)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var last: UInt64?
                for await event in healthy.events {
                    guard case .text(let text, _) = event, case .quotes(let seq, _, _, let conflated, _)? = try? ServerMessage.decode(Data(text.utf8))
                    else { continue }
                    report(.healthyFrame(seq: seq, gap: last.map { seq != $0 + 1 } ?? false, conflated: conflated != nil))
                    last = seq
                }
            }
            group.addTask {
                for await event in reader.events {
                    switch event {
                    case .text(let text, _):
                        if case .quotes(let seq, _, _, let conflated, _)? = try? ServerMessage.decode(Data(text.utf8)) {
                            if conflated != nil { shared.sawConflated.store(true, ordering: .relaxed) }
                            report(.readerFrame(seq: seq, conflated: conflated, bytes: text.utf8.count))
                        }
                    case .closed(let code, let reason):
                        shared.closed.store(true, ordering: .relaxed)
                        report(.readerClosed(code: code ?? 1006, reason: reason))
                    case .binary: break
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    if let counters = try? await ServerCounters.read(http) {
                        shared.metrics.withLock { $0 = counters }
                        report(.serverMetrics(behind: counters.behind, conflatedTicks: counters.conflated, slowConsumersClosed: counters.slowClosed))
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            group.addTask {
                func until(_ condition: () -> Bool) async -> Bool {
                    let deadline = ContinuousClock.now + patience
                    while !condition(), ContinuousClock.now < deadline {
                        guard (try? await Task.sleep(for: .milliseconds(50))) != nil else { return false }
                    }
                    return condition()
                }
                report(.phase(.reading))
                try? await Task.sleep(for: .seconds(1))
                reader.setReading(false)
                report(.phase(.stalled))
                _ = await until { shared.metrics.withLock { $0.behind > 0 } }
                // Behind for a moment: a few ticks folded.
                try? await Task.sleep(for: .seconds(1))
                reader.setReading(true)
                report(.phase(.reading))
                guard await until({ shared.sawConflated.load(ordering: .relaxed) }) else { return }
                let closedBefore = shared.metrics.withLock { $0.slowClosed }
                reader.setReading(false)
                report(.phase(.stalledForGood))
                _ = await until { shared.metrics.withLock { $0.slowClosed > closedBefore } }
                reader.setReading(true)
                _ = await until { shared.closed.load(ordering: .relaxed) }
            }
            // The choreography ends first (or the chapter is left); the readers and the metrics stop with it.
            await group.next()
            try? await Task.sleep(for: .milliseconds(200))
            group.cancelAll()
        }
        reader.abort()
        healthy.close()
    }
}

/// What the reader's tasks tell the choreography.
private final class Shared: Sendable {
    let metrics = Mutex(ServerCounters())
    let sawConflated = Atomic<Bool>(false)
    let closed = Atomic<Bool>(false)
}

/// The three figures chapter 7 reads from the server's `/metrics`.
struct ServerCounters: Sendable {
    var behind = 0
    var conflated = 0
    var slowClosed = 0

    static func read(_ http: TourHTTP) async throws -> ServerCounters {
        let text = String(decoding: try await http.get("/metrics", timeout: .seconds(5)).body, as: UTF8.self)
        var counters = ServerCounters()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let value = Double(parts[1]) else { continue }
            switch parts[0] {
            case "ticker_ws_connections_behind": counters.behind = Int(value)
            case "ticker_ws_conflated_ticks_total": counters.conflated = Int(value)
            case "ticker_ws_slow_consumers_closed_total": counters.slowClosed = Int(value)
            default: break
            }
        }
        return counters
    }
}
