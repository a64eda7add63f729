import Synchronization

/// Running totals of what the server pushed, read by the demo's server pane and `/healthz`.
///
/// The same events are also recorded as Prometheus metrics (``ServerMetrics``); these atomics exist so a caller in the
/// same process can sample rates without parsing the exposition text.
public final class ServerStats: Sendable {
    public let connections = Atomic<Int>(0)
    public let framesSent = Atomic<Int>(0)
    public let bytesSent = Atomic<Int>(0)
    public let conflatedTicks = Atomic<Int>(0)
    public let ticks = Atomic<Int>(0)
    /// Connections whose outbox is full right now (being conflated).
    public let connectionsBehind = Atomic<Int>(0)
    /// Connections closed with 1008 "slow consumer".
    public let slowConsumersClosed = Atomic<Int>(0)
    /// WebSocket sessions still running (each a reader and a writer task), refused ones included: it returns to 0
    /// once every client is gone, which is how the soak test sees that no task leaked.
    public let sessions = Atomic<Int>(0)

    public init() {}

    /// A consistent-enough reading of every counter.
    public var snapshot: Snapshot {
        Snapshot(
            connections: connections.load(ordering: .relaxed), framesSent: framesSent.load(ordering: .relaxed),
            bytesSent: bytesSent.load(ordering: .relaxed), conflatedTicks: conflatedTicks.load(ordering: .relaxed),
            ticks: ticks.load(ordering: .relaxed), connectionsBehind: connectionsBehind.load(ordering: .relaxed),
            slowConsumersClosed: slowConsumersClosed.load(ordering: .relaxed))
    }

    public struct Snapshot: Sendable, Hashable {
        public var connections: Int
        public var framesSent: Int
        public var bytesSent: Int
        public var conflatedTicks: Int
        public var ticks: Int
        public var connectionsBehind: Int
        public var slowConsumersClosed: Int
    }
}
