import Dispatch
import NIOCore
import NIOWebSocket
import Synchronization
import TickerCore

/// One WebSocket client as the fan-out sees it: its subscriptions, its conflating outbox and the timestamps the
/// watchdog reads. The feed thread enqueues; the connection's event loop drains the outbox straight into the channel,
/// with at most ``maxWritesInFlight`` frames not yet taken by the socket (TCP backpressure: the rest stays in the
/// outbox, where newer ticks fold into it). Neither ever waits for the other.
///
/// Frames are written on the event loop rather than through hummingbird's async outbound writer: that writer costs a
/// task wake-up and two executor hops per frame. Measured with `ticker bench` and the shared load generator at 1,000
/// clients × 10 ticks/s (release, this 2-core machine): 17.9 % of a core before, with 48 % of its samples on the
/// cooperative pool (`perf record`); see docs/PERFORMANCE.md for after. The async writer still sends the close frame,
/// so the closing handshake stays the library's.
final class ClientConnection: Sendable {
    let id: Int
    /// The NIO channel, closed outright when a stuck peer would not even take a close frame.
    let channel: any Channel
    private let metrics: ServerMetrics
    /// Frames handed to the channel and not yet written to the socket, per connection.
    static let maxWritesInFlight = 2
    /// Rung when a close is ready to be sent (latest ring wins: one pending wake-up is enough).
    let wakeups: AsyncStream<Void>
    private let wakeupContinuation: AsyncStream<Void>.Continuation
    private let state: Mutex<State>

    struct State {
        var outbox: Outbox<ByteBuffer>
        var subscriptions: SymbolSet
        var rateLimiter: RateLimiter
        /// When the last frame was queued (for heartbeats).
        var lastQueuedAt: ContinuousClock.Instant
        /// Since when the outbox has been full (conflating), nil when it keeps up.
        var behindSince: ContinuousClock.Instant?
        /// Since when the current socket write has been waiting, nil when no write is in flight.
        var writeStartedAt: ContinuousClock.Instant?
        /// The close the writer should send next, and when it was asked for.
        var closeRequest: CloseRequest?
        /// Frames written to the channel whose write has not completed.
        var writesInFlight = 0
        /// A drain is queued on the event loop already.
        var drainScheduled = false
        /// A write failed: the channel is going away, nothing more is written.
        var writeFailed = false
    }

    struct CloseRequest {
        var code: WebSocketErrorCode
        var reason: String
        var requestedAt: ContinuousClock.Instant
        /// Send the messages already queued first (an `error` explaining the close); false skips the queue.
        var afterQueuedMessages: Bool
    }

    /// One step of a drain.
    private enum DrainStep {
        case write(ByteBuffer, conflatedTicks: Int, caughtUp: Bool)
        case closeReady
        case stop
    }

    init(id: Int, channel: any Channel, symbolCount: Int, configuration: TickerServerConfiguration, metrics: ServerMetrics) {
        self.id = id
        self.channel = channel
        self.metrics = metrics
        (wakeups, wakeupContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state = Mutex(
            State(
                outbox: Outbox(tickCapacity: configuration.outboxTickCapacity),
                subscriptions: SymbolSet(capacity: symbolCount),
                rateLimiter: RateLimiter(messagesPerSecond: configuration.messagesPerSecond),
                lastQueuedAt: .now))
    }

    var subscriptions: SymbolSet { state.withLock { $0.subscriptions } }

    /// Queues a message (encoded for this client alone) and wakes the writer.
    func send(_ message: ServerMessage) {
        let payload = ByteBuffer(bytes: message.encodedJSON)
        state.withLock {
            guard $0.closeRequest == nil else { return }
            $0.outbox.push(message: payload)
            $0.lastQueuedAt = .now
        }
        scheduleDrain()
    }

    /// Changes the subscription set and queues the messages that announce it, atomically with respect to ticks.
    func updateSubscriptions(_ subscriptions: SymbolSet, removed: Set<String>, messages: [ServerMessage]) {
        let payloads = messages.map { ByteBuffer(bytes: $0.encodedJSON) }
        state.withLock {
            $0.subscriptions = subscriptions
            if !removed.isEmpty { $0.outbox.removeSymbols(removed) }
            for payload in payloads { $0.outbox.push(message: payload) }
            $0.lastQueuedAt = .now
        }
        scheduleDrain()
    }

    /// Queues a tick frame shared by every client of the group `groupSet`; returns true if the caller must ``drain()``
    /// on the event loop (the fan-out batches those per loop). If this client's subscriptions changed since the fan-out
    /// read the groups, the tick is re-filtered and encoded for it alone (rare).
    func enqueueTick(_ tick: FeedTick, quotes: [Quote], payload: ByteBuffer, groupSet: SymbolSet, catalog: SymbolCatalog) -> Bool {
        let (queued, fellBehind): (Bool, Bool) = state.withLock {
            guard $0.closeRequest == nil else { return (false, false) }
            var quotes = quotes
            var payload = payload
            if $0.subscriptions != groupSet {
                let current = $0.subscriptions
                quotes = quotes.filter { catalog.index(of: $0.symbol).map(current.contains) ?? false }
                guard !quotes.isEmpty else { return (false, false) }
                payload = ByteBuffer(bytes: ServerMessage.quotes(seq: tick.seq, ts: tick.ts, quotes: quotes, conflated: nil).encodedJSON)
            }
            $0.outbox.push(tick: tick.seq, ts: tick.ts, quotes: quotes, payload: payload)
            $0.lastQueuedAt = .now
            guard $0.outbox.isFull, $0.behindSince == nil else { return (true, false) }
            $0.behindSince = .now
            return (true, true)
        }
        if fellBehind { metrics.connectionBehind(true) }
        return queued
    }

    /// Counts a client message against the rate limit; false when it is over.
    func admitClientMessage() -> Bool {
        let now = DispatchTime.now().uptimeNanoseconds
        return state.withLock { $0.rateLimiter.allow(now: now) }
    }

    /// Asks the writer to close with `code` (the first request wins). With `afterQueuedMessages`, what is already
    /// queued goes out first; either way nothing new is queued from now on.
    func requestClose(_ code: WebSocketErrorCode, reason: String, afterQueuedMessages: Bool = false) {
        state.withLock {
            guard $0.closeRequest == nil else { return }
            $0.closeRequest = CloseRequest(code: code, reason: reason, requestedAt: .now, afterQueuedMessages: afterQueuedMessages)
        }
        wakeupContinuation.yield()
        scheduleDrain()
    }

    /// The close to send, once it may go: at once, or after the queued messages were written. Nil otherwise.
    func closeToSend() -> (code: WebSocketErrorCode, reason: String)? {
        state.withLock {
            guard let close = $0.closeRequest else { return nil }
            guard !close.afterQueuedMessages || ($0.outbox.isEmpty && $0.writesInFlight == 0) || $0.writeFailed else { return nil }
            return (close.code, close.reason)
        }
    }

    /// Drains on the event loop soon (coalesced: one queued drain at a time).
    private func scheduleDrain() {
        let eventLoop = channel.eventLoop
        if eventLoop.inEventLoop {
            drain()
            return
        }
        let first = state.withLock { state -> Bool in
            defer { state.drainScheduled = true }
            return !state.drainScheduled
        }
        if first { eventLoop.execute { self.drain() } }
    }

    /// On the event loop: writes queued frames in order while fewer than ``maxWritesInFlight`` are unconfirmed, then
    /// flushes once. A close that is ready wakes the session, which sends it.
    func drain() {
        var wrote = false
        draining: while true {
            let step: DrainStep = state.withLock {
                $0.drainScheduled = false
                guard !$0.writeFailed else { return .stop }
                if let close = $0.closeRequest {
                    guard close.afterQueuedMessages else { return .closeReady }
                    if $0.outbox.isEmpty { return $0.writesInFlight == 0 ? .closeReady : .stop }
                }
                guard $0.writesInFlight < Self.maxWritesInFlight, let item = $0.outbox.popFirst() else { return .stop }
                let caughtUp = $0.behindSince != nil && !$0.outbox.isFull
                if caughtUp { $0.behindSince = nil }
                if $0.writesInFlight == 0 { $0.writeStartedAt = .now }
                $0.writesInFlight += 1
                switch item {
                case .message(let payload), .tick(_, _, _, let payload):
                    return .write(payload, conflatedTicks: 0, caughtUp: caughtUp)
                case .conflated(let folded):
                    return .write(ByteBuffer(bytes: folded.message.encodedJSON), conflatedTicks: folded.earlierTicks, caughtUp: caughtUp)
                }
            }
            switch step {
            case .write(let payload, let conflatedTicks, let caughtUp):
                if caughtUp { metrics.connectionBehind(false) }
                let bytes = payload.readableBytes
                let promise = channel.eventLoop.makePromise(of: Void.self)
                promise.futureResult.whenComplete { result in
                    self.writeCompleted(result, bytes: bytes, conflatedTicks: conflatedTicks)
                }
                channel.write(WebSocketFrame(fin: true, opcode: .text, data: payload), promise: promise)
                wrote = true
            case .closeReady:
                wakeupContinuation.yield()
                break draining
            case .stop:
                break draining
            }
        }
        if wrote { channel.flush() }
    }

    /// A write reached the socket (or failed because the connection is going away): count it and write more.
    private func writeCompleted(_ result: Result<Void, any Error>, bytes: Int, conflatedTicks: Int) {
        let failed = (try? result.get()) == nil
        state.withLock {
            $0.writesInFlight -= 1
            // The watchdog measures how long the socket has taken nothing: progress restarts the clock.
            $0.writeStartedAt = $0.writesInFlight > 0 ? .now : nil
            if failed { $0.writeFailed = true }
        }
        guard !failed else {
            wakeupContinuation.yield()
            return
        }
        metrics.frameSent(bytes: bytes)
        if conflatedTicks > 0 { metrics.ticksConflated(conflatedTicks) }
        drain()
    }

    /// The watchdog's and heartbeat's view, evaluated at `now`.
    func inspect(
        now: ContinuousClock.Instant, heartbeatInterval: Duration, slowConsumerTimeout: Duration, closeTimeout: Duration
    ) -> Inspection {
        state.withLock {
            if let close = $0.closeRequest {
                return now - close.requestedAt > closeTimeout ? .stuckWhileClosing : .fine
            }
            let stalledSince = [$0.behindSince, $0.writeStartedAt].compactMap { $0 }.min()
            if let stalledSince, now - stalledSince > slowConsumerTimeout { return .slowConsumer }
            if $0.outbox.isEmpty, $0.writeStartedAt == nil, now - $0.lastQueuedAt >= heartbeatInterval {
                return .needsHeartbeat
            }
            return .fine
        }
    }

    enum Inspection {
        case fine
        case needsHeartbeat
        case slowConsumer
        case stuckWhileClosing
    }

    /// Ends the wake-up stream so an idle writer returns, and stops counting the connection as behind.
    func finish() {
        wakeupContinuation.finish()
        let wasBehind = state.withLock { state -> Bool in
            defer { state.behindSince = nil }
            return state.behindSince != nil
        }
        if wasBehind { metrics.connectionBehind(false) }
    }
}
