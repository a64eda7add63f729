import Dispatch
import NIOCore
import NIOWebSocket
import Synchronization
import TickerCore

/// One WebSocket client as the fan-out sees it: its subscriptions, its conflating outbox and the timestamps the
/// watchdog reads. The feed thread enqueues and rings; the connection's writer task drains. Neither ever waits for
/// the other.
final class ClientConnection: Sendable {
    let id: Int
    /// The NIO channel, closed outright when a stuck peer would not even take a close frame.
    let channel: any Channel
    private let metrics: ServerMetrics
    /// Rung whenever there is something to send (latest ring wins: one pending wake-up is enough).
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
    }

    struct CloseRequest {
        var code: WebSocketErrorCode
        var reason: String
        var requestedAt: ContinuousClock.Instant
        /// Send the messages already queued first (an `error` explaining the close); false skips the queue.
        var afterQueuedMessages: Bool
    }

    /// What the writer should do next.
    enum Next {
        case frame(ByteBuffer, conflatedTicks: Int)
        case close(WebSocketErrorCode, reason: String)
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
        wakeupContinuation.yield()
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
        wakeupContinuation.yield()
    }

    /// Queues a tick frame shared by every client of the group `groupSet`. If this client's subscriptions changed
    /// since the fan-out read the groups, the tick is re-filtered and encoded for it alone (rare).
    func enqueueTick(_ tick: FeedTick, quotes: [Quote], payload: ByteBuffer, groupSet: SymbolSet, catalog: SymbolCatalog) {
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
        if queued { wakeupContinuation.yield() }
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
    }

    /// The writer's next step: a pending close first, then the oldest queued frame. Marks the write as started.
    func next() -> Next? {
        let (next, caughtUp): (Next?, Bool) = state.withLock {
            if let close = $0.closeRequest, !close.afterQueuedMessages || $0.outbox.isEmpty {
                return (.close(close.code, reason: close.reason), false)
            }
            guard let item = $0.outbox.popFirst() else { return (nil, false) }
            let caughtUp = $0.behindSince != nil && !$0.outbox.isFull
            if caughtUp { $0.behindSince = nil }
            $0.writeStartedAt = .now
            switch item {
            case .message(let payload), .tick(_, _, _, let payload):
                return (.frame(payload, conflatedTicks: 0), caughtUp)
            case .conflated(let folded):
                return (.frame(ByteBuffer(bytes: folded.message.encodedJSON), conflatedTicks: folded.earlierTicks), caughtUp)
            }
        }
        if caughtUp { metrics.connectionBehind(false) }
        return next
    }

    /// Called by the writer when a write completed.
    func writeFinished() {
        state.withLock { $0.writeStartedAt = nil }
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
