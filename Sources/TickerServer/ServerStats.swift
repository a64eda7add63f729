import Synchronization

/// This server's running totals (connections, frames, bytes, conflated ticks), for callers in the same process: the
/// demo's server pane, `/healthz`, tests. Frames and bytes are counted per event loop, so reading them visits each
/// loop once.
public final class ServerStats: Sendable {
    private let fanOut = Mutex<FanOut?>(nil)

    init() {}

    /// Called when the server's services are made.
    func attach(_ fanOut: FanOut) {
        self.fanOut.withLock { $0 = fanOut }
    }

    /// A reading of every counter (zeros before the server runs).
    public func snapshot() async -> Snapshot {
        guard let fanOut = fanOut.withLock({ $0 }) else { return Snapshot() }
        let tally = await fanOut.tally()
        let metrics = fanOut.metrics
        return Snapshot(
            connections: fanOut.connectionCount, framesSent: tally.framesSent, bytesSent: tally.bytesSent,
            conflatedTicks: tally.conflatedTicks, ticks: metrics.ticks.load(ordering: .relaxed),
            connectionsBehind: metrics.connectionsBehind.load(ordering: .relaxed),
            slowConsumersClosed: metrics.slowConsumersClosed.load(ordering: .relaxed), channels: fanOut.channelCount)
    }

    public struct Snapshot: Sendable, Hashable {
        public var connections = 0
        public var framesSent = 0
        public var bytesSent = 0
        public var conflatedTicks = 0
        public var ticks = 0
        /// Connections whose outbox is full right now (being conflated).
        public var connectionsBehind = 0
        /// Connections closed with 1008 "slow consumer".
        public var slowConsumersClosed = 0
        /// WebSocket channels open, refused and closing ones included: back to 0 once every client has gone.
        public var channels = 0
    }
}
