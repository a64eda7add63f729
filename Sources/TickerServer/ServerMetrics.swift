import Foundation
import Metrics
import Prometheus
import Synchronization

/// What `/metrics` shows, in a Prometheus registry of this server's own, so each server in a process (tests run
/// several) reports only itself, and every metric is there, at 0, from the first scrape.
///
/// Cold events (a connection opened or closed, a slow consumer dropped) are counted as they happen. The hot ones, frames
/// and bytes written and ticks conflated, are counted by each event loop in plain integers (``LoopLane/Tally``) and
/// added to the counters when `/metrics` is read, so no frame pays for a shared atomic.
///
/// Hummingbird's `MetricsMiddleware` counts HTTP requests through swift-metrics, whose backend is one per process:
/// that goes to ``processRegistry``, rendered after this server's.
final class ServerMetrics: Sendable {
    /// swift-metrics' process-wide backend (HTTP requests by route), bootstrapped once.
    static let processRegistry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    let registry = PrometheusCollectorRegistry()
    private let connections: Prometheus.Gauge
    private let connectionsOpened: Prometheus.Counter
    private let framesSent: Prometheus.Counter
    private let bytesSent: Prometheus.Counter
    private let compressedFrames: Prometheus.Counter
    private let compressions: Prometheus.Counter
    private let conflatedTicks: Prometheus.Counter
    private let feedTicks: Prometheus.Counter
    private let behindGauge: Prometheus.Gauge
    private let slowConsumers: Prometheus.Counter
    private let longPollsGauge: Prometheus.Gauge
    /// The tallies already added to the counters.
    private let exported = Mutex(LoopLane.Tally())

    /// The same counts, for callers in the process (`/healthz`, the demo's server pane, tests).
    let openConnections = Atomic<Int>(0)
    let connectionsBehind = Atomic<Int>(0)
    let slowConsumersClosed = Atomic<Int>(0)
    let ticks = Atomic<Int>(0)

    init() {
        _ = Self.processRegistry
        connections = registry.makeGauge(descriptor: Self.named("ticker_ws_connections", "WebSocket clients connected now"))
        connectionsOpened = registry.makeCounter(descriptor: Self.named("ticker_ws_connections_opened_total", "WebSocket clients accepted"))
        framesSent = registry.makeCounter(descriptor: Self.named("ticker_ws_frames_sent_total", "WebSocket data frames written to clients"))
        bytesSent = registry.makeCounter(descriptor: Self.named("ticker_ws_bytes_sent_total", "bytes of those frames, headers included"))
        compressedFrames = registry.makeCounter(
            descriptor: Self.named("ticker_ws_compressed_frames_total", "of those frames, the ones sent compressed (permessage-deflate)"))
        compressions = registry.makeCounter(
            descriptor: Self.named(
                "ticker_ws_compressions_total",
                "messages the server compressed: each distinct tick frame once, shared by every client that agreed, and each per-connection message"
            ))
        conflatedTicks = registry.makeCounter(
            descriptor: Self.named("ticker_ws_conflated_ticks_total", "ticks folded into a later frame for a client that fell behind"))
        feedTicks = registry.makeCounter(descriptor: Self.named("ticker_feed_ticks_total", "ticks of the feed applied"))
        behindGauge = registry.makeGauge(descriptor: Self.named("ticker_ws_connections_behind", "clients whose queue is full (being conflated)"))
        slowConsumers = registry.makeCounter(
            descriptor: Self.named("ticker_ws_slow_consumers_closed_total", "clients closed with 1008 slow consumer"))
        longPollsGauge = registry.makeGauge(descriptor: Self.named("ticker_long_polls_waiting", "long polls waiting for a change"))
    }

    /// A metric's whole name and its `# HELP` text.
    private static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    func connectionOpened() {
        connections.set(Int64(openConnections.add(1, ordering: .relaxed).newValue))
        connectionsOpened.increment()
    }

    /// A registered client's connection ended; `code` is the close code exchanged, nil when there was no close frame.
    func connectionClosed(code: UInt16?) {
        connections.set(Int64(openConnections.subtract(1, ordering: .relaxed).newValue))
        registry.makeCounter(
            descriptor: Self.named("ticker_ws_closes_total", "WebSocket connections ended, by the close code exchanged (1006: none)"),
            labels: [("code", code.map(String.init) ?? "1006")]
        ).increment()
    }

    /// A connection started (`true`) or stopped (`false`) being conflated.
    func connectionBehind(_ behind: Bool) {
        behindGauge.set(Int64(connectionsBehind.add(behind ? 1 : -1, ordering: .relaxed).newValue))
    }

    func slowConsumerClosed() {
        slowConsumersClosed.add(1, ordering: .relaxed)
        slowConsumers.increment()
    }

    func longPollsWaiting(_ count: Int) {
        longPollsGauge.set(Int64(count))
    }

    /// One message compressed (a tick frame for all who share it, or one connection's message).
    func messageCompressed() {
        compressions.increment()
    }

    func feedTicked() {
        ticks.add(1, ordering: .relaxed)
        feedTicks.increment()
    }

    /// The Prometheus text: this server's metrics, with the loops' `tally` added in, then the process's.
    func exposition(tally: LoopLane.Tally, feed: FanOut.FeedStatus, node: String) -> [UInt8] {
        // Two scrapes at once may read their tallies in one order and get here in the other: only ever count up.
        exported.withLock { exported in
            for (counter, new, old) in [
                (framesSent, tally.framesSent, \LoopLane.Tally.framesSent), (bytesSent, tally.bytesSent, \.bytesSent),
                (compressedFrames, tally.compressedFrames, \.compressedFrames),
                (conflatedTicks, tally.conflatedTicks, \.conflatedTicks),
            ] where new > exported[keyPath: old] {
                counter.increment(by: Int64(new - exported[keyPath: old]))
                exported[keyPath: old] = new
            }
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        Self.processRegistry.emit(into: &buffer)
        buffer += Self.feedLines(feed, node: node).utf8
        return buffer
    }

    /// Where the feed is, read when scraped: its seq, whether its source is reachable, how long since its last tick
    /// (-1 before the first), and the epoch and node as the labels of an info gauge whose value is always 1.
    static func feedLines(_ feed: FanOut.FeedStatus, node: String) -> String {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }
        return """
            # TYPE ticker_feed_seq gauge
            ticker_feed_seq \(feed.seq)
            # TYPE ticker_feed_connected gauge
            ticker_feed_connected \(feed.connected ? 1 : 0)
            # TYPE ticker_feed_lag_ms gauge
            ticker_feed_lag_ms \(feed.lagMs ?? -1)
            # TYPE ticker_feed_info gauge
            ticker_feed_info{epoch="\(escaped(feed.epoch))",node="\(escaped(node))"} 1

            """
    }
}
