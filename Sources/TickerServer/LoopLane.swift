import NIOCore
import Synchronization
import TickerCompression
import TickerCore

/// One event loop's share of the WebSocket fan-out: the loop's connections, the ticks and messages waiting to be
/// delivered to them in order, and the loop's own tallies of what it sent.
///
/// Everything but the queue is confined to the loop, like the connections themselves (SwiftNIO's rule: a channel has
/// one owner, its event loop), so delivering a frame takes no lock and touches no memory another core writes: each
/// loop makes its own copy of a tick's frame bytes, and counts frames and bytes in plain integers that `/metrics` and
/// `/healthz` sum on demand.
///
/// The hub submits each tick (and each subscription change, so that a snapshot lands exactly between the ticks it
/// covers and the ones after it) from any thread; one task at a time runs them on the loop. When the loop keeps up, a
/// tick goes straight to the sockets. When it has fallen behind (several ticks waiting), they go into the outboxes in
/// order, where they conflate, and each connection is drained once: a slow loop never piles up work.
final class LoopLane: @unchecked Sendable {
    let eventLoop: any EventLoop

    /// What the hub hands a loop.
    enum Item: Sendable {
        case tick(TickDelivery)
        /// Run on the loop in order with the ticks (a subscription change's messages, say).
        case action(@Sendable () -> Void)
    }

    /// One tick for this loop's connections: each distinct frame with the connections that get it.
    struct TickDelivery: Sendable {
        var seq: UInt64
        var ts: Int64
        /// Earlier ticks already folded into this one (an edge catching up after an outage), 0 for a tick as published.
        var earlier = 0
        var frames: [Frame]

        struct Frame: Sendable {
            /// The whole WebSocket frame (header and payload), copied into a buffer of this loop's before writing.
            var wire: [UInt8]
            /// Its quotes, for folding it into a conflated frame.
            var quotes: [Quote]
            var members: [ClientConnection]
            /// The same frame compressed once (`permessage-deflate`, RSV1 set), for the members that negotiated it: one
            /// variant per compressor window size asked for.
            var compressed: [(wire: [UInt8], members: [ClientConnection])] = []
        }
    }

    /// Frames and bytes written (compressed ones among them), and ticks conflated, by this loop.
    struct Tally: Sendable {
        var framesSent = 0
        var bytesSent = 0
        var compressedFrames = 0
        var conflatedTicks = 0

        static func + (lhs: Tally, rhs: Tally) -> Tally {
            Tally(
                framesSent: lhs.framesSent + rhs.framesSent, bytesSent: lhs.bytesSent + rhs.bytesSent,
                compressedFrames: lhs.compressedFrames + rhs.compressedFrames, conflatedTicks: lhs.conflatedTicks + rhs.conflatedTicks)
        }

        /// Counts one frame written.
        mutating func count(_ frame: ByteBuffer) {
            framesSent += 1
            bytesSent += frame.readableBytes
            if WireFrame.isCompressed(frame) { compressedFrames += 1 }
        }
    }

    private struct Queue {
        var items: [Item] = []
        var running = false
    }
    private let queue = Mutex(Queue())

    // Loop-confined.
    /// The loop's WebSocket connections, refused and closing ones included.
    var channels: [ObjectIdentifier: ClientConnection] = [:]
    var tally = Tally()
    /// The time of the batch being delivered: one clock read per batch, not per frame.
    private(set) var now = ContinuousClock.now
    /// This loop's compressors (by window size) for what is compressed per connection (messages, conflated frames),
    /// and its inflater for what clients send compressed: each message is coded on its own (no context takeover), so
    /// the loop's connections share them and none keeps a zlib stream of its own.
    private var deflaters: [Int: MessageDeflater] = [:]
    private var sharedInflater: MessageInflater?

    /// The loop's compressor for `windowBits`.
    func deflater(windowBits: Int) -> MessageDeflater? {
        if let deflater = deflaters[windowBits] { return deflater }
        let deflater = try? MessageDeflater(windowBits: windowBits)
        deflaters[windowBits] = deflater
        return deflater
    }

    /// The loop's inflater.
    var inflater: MessageInflater? {
        if sharedInflater == nil { sharedInflater = try? MessageInflater() }
        return sharedInflater
    }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Adds an item. True if no task is running on the loop: the caller must have ``run()`` called there.
    func submit(_ item: Item) -> Bool {
        queue.withLock { queue in
            queue.items.append(item)
            defer { queue.running = true }
            return !queue.running
        }
    }

    /// Schedules ``run()`` on the loop.
    func start() {
        eventLoop.execute { self.run() }
    }

    /// On the loop: runs `action` now if nothing is waiting, else after what is (so answers keep their order).
    func inOrder(_ action: @escaping @Sendable () -> Void) {
        if submit(.action(action)) { run() }
    }

    /// On the loop: delivers the waiting items in order until none is left.
    func run() {
        eventLoop.assertInEventLoop()
        while true {
            let items: [Item] = queue.withLock { queue in
                if queue.items.isEmpty { queue.running = false }
                defer { queue.items = [] }
                return queue.items
            }
            guard !items.isEmpty else { return }
            now = .now
            let ticks = items.count { if case .tick = $0 { true } else { false } }
            var touched: [ObjectIdentifier: ClientConnection] = [:]
            for item in items {
                switch item {
                case .action(let action):
                    action()
                case .tick(let delivery):
                    for frame in delivery.frames {
                        for (wire, members, compressed) in [(frame.wire, frame.members, false)]
                            + frame.compressed.map({ ($0.wire, $0.members, true) })
                        {
                            // This loop's own copy: its reference count is only ever touched by this loop.
                            let buffer = ByteBuffer(bytes: wire)
                            var written = 0
                            for connection in members {
                                // One tick waiting: straight to the socket. Several: queue them all, drain once below.
                                switch connection.deliver(
                                    buffer, seq: delivery.seq, ts: delivery.ts, quotes: frame.quotes, earlier: delivery.earlier,
                                    direct: ticks == 1, now: now)
                                {
                                case .written: written += 1
                                case .queued: touched[ObjectIdentifier(connection)] = connection
                                case .dropped: break
                                }
                            }
                            tally.framesSent += written
                            tally.conflatedTicks += written * delivery.earlier
                            tally.bytesSent += written * buffer.readableBytes
                            if compressed { tally.compressedFrames += written }
                        }
                    }
                }
            }
            for connection in touched.values { connection.drain() }
        }
    }

    /// On the loop: the housekeeping pass over this loop's connections (heartbeats, pings, slow consumers, stuck closes).
    func sweep(seq: UInt64, configuration: TickerServerConfiguration) {
        eventLoop.assertInEventLoop()
        now = .now
        for connection in channels.values { connection.inspect(seq: seq, configuration: configuration) }
    }
}
