import Metrics
import Prometheus
import Synchronization

/// Records what the server does, once, into both the Prometheus metrics `/metrics` exposes (through swift-metrics)
/// and the in-process ``ServerStats`` the demo samples.
///
/// swift-metrics has one process-wide backend, so the Prometheus registry is bootstrapped once per process and shared by
/// every server in it (tests run several): the Prometheus counters are process totals, the stats are this server's.
struct ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    let stats: ServerStats
    private let connectionsOpen = Gauge(label: "ticker_ws_connections")
    private let connectionsOpened = Counter(label: "ticker_ws_connections_opened_total")
    private let framesSent = Counter(label: "ticker_ws_frames_sent_total")
    private let bytesSent = Counter(label: "ticker_ws_bytes_sent_total")
    private let conflatedTicks = Counter(label: "ticker_ws_conflated_ticks_total")
    private let feedTicks = Counter(label: "ticker_feed_ticks_total")
    private let behindGauge = Gauge(label: "ticker_ws_connections_behind")
    private let slowConsumers = Counter(label: "ticker_ws_slow_consumers_closed_total")
    private let longPollsGauge = Gauge(label: "ticker_long_polls_waiting")

    init(stats: ServerStats) {
        _ = Self.registry
        self.stats = stats
    }

    func connectionOpened() {
        let open = stats.connections.add(1, ordering: .relaxed).newValue
        connectionsOpen.record(open)
        connectionsOpened.increment()
    }

    func connectionClosed(code: Int?) {
        let open = stats.connections.subtract(1, ordering: .relaxed).newValue
        connectionsOpen.record(open)
        Counter(label: "ticker_ws_closes_total", dimensions: [("code", code.map(String.init) ?? "none")]).increment()
    }

    func frameSent(bytes: Int) {
        stats.framesSent.add(1, ordering: .relaxed)
        stats.bytesSent.add(bytes, ordering: .relaxed)
        framesSent.increment()
        bytesSent.increment(by: bytes)
    }

    func ticksConflated(_ count: Int) {
        stats.conflatedTicks.add(count, ordering: .relaxed)
        conflatedTicks.increment(by: count)
    }

    /// A connection started (`true`) or stopped (`false`) being conflated.
    func connectionBehind(_ behind: Bool) {
        behindGauge.record(stats.connectionsBehind.add(behind ? 1 : -1, ordering: .relaxed).newValue)
    }

    func slowConsumerClosed() {
        stats.slowConsumersClosed.add(1, ordering: .relaxed)
        slowConsumers.increment()
    }

    func longPollsWaiting(_ count: Int) {
        longPollsGauge.record(count)
    }

    func feedTicked() {
        stats.ticks.add(1, ordering: .relaxed)
        feedTicks.increment()
    }
}
