import Dispatch
import NIOCore
import NIOWebSocket
import Synchronization
import TickerCore

/// One WebSocket client as the fan-out sees it: its subscriptions, its conflating outbox and the timestamps the
/// watchdog reads. Everything is written on the connection's event loop: a tick straight into the channel when nothing
/// is queued ahead of it, otherwise through the outbox while the channel is writable (TCP backpressure: past NIO's
/// high-water mark the rest stays in the outbox, where newer ticks fold into it). The feed never waits for a client.
///
/// Hand-written hot path, measured (`ticker bench --clients 1000` and the shared load generator, 10 ticks/s, release,
/// this 2-core machine, `perf record` for where the time went):
/// - hummingbird's async outbound writer, one writer task per connection: 17.9 % of a core, 48 % of samples on the
///   cooperative pool (a task wake-up and two executor hops per frame);
/// - frames written on the event loop, batched per loop: 12.6 %, the rest in NIO's pipeline and the kernel;
/// - plus the tick framed once (``WireFrame``) and written below NIO's `WebSocketFrameEncoder`, no promise per write:
///   8.8 %;
/// - plus the tick delivered on the loop straight to the socket when nothing is queued (no outbox round trip, no pass
///   over the connections on the feed thread): see docs/PERFORMANCE.md.
/// hummingbird's writer still sends the close frame, so the closing handshake stays the library's: the session gives
/// the connection a ``CloseSender`` that starts a task for it when a close is ready (rare), rather than keeping a task
/// per connection parked waiting for one (about 2 KiB of task memory per connection, measured with heaptrack).
final class ClientConnection: Sendable {
    let id: Int
    /// The NIO channel, closed outright when a stuck peer would not even take a close frame.
    let channel: any Channel
    private let metrics: ServerMetrics
    private let state: Mutex<State>

    /// Sends a close frame (through hummingbird's writer); called once, when the close may go.
    typealias CloseSender = @Sendable (WebSocketErrorCode, String) -> Void

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
        /// The close to send, and when it was asked for.
        var closeRequest: CloseRequest?
        /// The channel went unwritable: the last frame written carries a promise, and draining resumes when it completes.
        var awaitingWritable = false
        /// Where frames enter the pipeline: just below NIO's `WebSocketFrameEncoder` (looked up once, on the loop).
        var frameContext: ChannelHandlerContext?
        /// A drain is queued on the event loop already.
        var drainScheduled = false
        /// A write failed: the channel is going away, nothing more is written.
        var writeFailed = false
        /// Who sends the close frame, until it has been asked to (then nil).
        var closeSender: CloseSender?
        /// The close was handed to the sender, or the session ended: nothing more to send.
        var closeHandled = false
        /// When the peer last sent a frame (any frame, a pong included), and when our unanswered ping went out.
        var lastHeardAt: ContinuousClock.Instant
        var pingSentAt: ContinuousClock.Instant?
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
        state = Mutex(
            State(
                outbox: Outbox(tickCapacity: configuration.outboxTickCapacity),
                subscriptions: SymbolSet(capacity: symbolCount),
                rateLimiter: RateLimiter(messagesPerSecond: configuration.messagesPerSecond),
                lastQueuedAt: .now, lastHeardAt: .now))
    }

    var subscriptions: SymbolSet { state.withLock { $0.subscriptions } }

    /// Queues a message (encoded for this client alone) and drains on the event loop.
    func send(_ message: ServerMessage) {
        let payload = WireFrame.text(message.encodedJSON)
        state.withLock {
            guard $0.closeRequest == nil else { return }
            $0.outbox.push(message: payload)
            $0.lastQueuedAt = .now
        }
        scheduleDrain()
    }

    /// Changes the subscription set and queues the messages that announce it, atomically with respect to ticks.
    func updateSubscriptions(_ subscriptions: SymbolSet, removed: Set<String>, messages: [ServerMessage]) {
        let payloads = messages.map { WireFrame.text($0.encodedJSON) }
        state.withLock {
            $0.subscriptions = subscriptions
            if !removed.isEmpty { $0.outbox.removeSymbols(removed) }
            for payload in payloads { $0.outbox.push(message: payload) }
            $0.lastQueuedAt = .now
        }
        scheduleDrain()
    }

    /// On the event loop: a tick frame shared by every client of the group `groupSet`, written at once when nothing is
    /// queued ahead of it and the channel is writable (the common case: one lock, one write, one flush), otherwise
    /// queued behind what is there, where it may be conflated. If this client's subscriptions changed since the
    /// fan-out read the groups, the tick is re-filtered and encoded for it alone (rare).
    func deliverTick(_ tick: FeedTick, quotes: [Quote], payload: ByteBuffer, groupSet: SymbolSet, catalog: SymbolCatalog) {
        switch accept(tick, quotes: quotes, payload: payload, groupSet: groupSet, catalog: catalog, direct: true) {
        case .dropped:
            break
        case .direct(let context, let frame):
            metrics.frameSent(bytes: frame.readableBytes)
            context.writeAndFlush(NIOAny(frame), promise: nil)
        case .queued:
            drain()
        }
    }

    /// On the event loop: queues a tick (conflated if the outbox is full) for the next ``drain()``. The fan-out uses it
    /// when the loop has fallen behind by several ticks (``LoopLane``).
    func enqueueTick(_ tick: FeedTick, quotes: [Quote], payload: ByteBuffer, groupSet: SymbolSet, catalog: SymbolCatalog) {
        _ = accept(tick, quotes: quotes, payload: payload, groupSet: groupSet, catalog: catalog, direct: false)
    }

    private enum Acceptance {
        case dropped
        case direct(ChannelHandlerContext, ByteBuffer)
        /// In the outbox; `fellBehind` when this tick filled it.
        case queued(fellBehind: Bool)
    }

    private func accept(
        _ tick: FeedTick, quotes: [Quote], payload: ByteBuffer, groupSet: SymbolSet, catalog: SymbolCatalog, direct: Bool
    ) -> Acceptance {
        let writable = direct && channel.isWritable
        let outcome: Acceptance = state.withLock {
            guard $0.closeRequest == nil, !$0.writeFailed else { return .dropped }
            var quotes = quotes
            var payload = payload
            if $0.subscriptions != groupSet {
                let current = $0.subscriptions
                quotes = quotes.filter { catalog.index(of: $0.symbol).map(current.contains) ?? false }
                guard !quotes.isEmpty else { return .dropped }
                payload = WireFrame.text(ServerMessage.quotes(seq: tick.seq, ts: tick.ts, quotes: quotes, conflated: nil).encodedJSON)
            }
            $0.lastQueuedAt = .now
            if writable, $0.outbox.isEmpty, !$0.awaitingWritable, let context = $0.frameContext {
                return .direct(context, payload)
            }
            $0.outbox.push(tick: tick.seq, ts: tick.ts, quotes: quotes, payload: payload)
            guard $0.outbox.isFull, $0.behindSince == nil else { return .queued(fellBehind: false) }
            $0.behindSince = .now
            return .queued(fellBehind: true)
        }
        if case .queued(fellBehind: true) = outcome { metrics.connectionBehind(true) }
        return outcome
    }

    /// Counts a client message against the rate limit; false when it is over.
    func admitClientMessage() -> Bool {
        let now = DispatchTime.now().uptimeNanoseconds
        return state.withLock { $0.rateLimiter.allow(now: now) }
    }

    /// Asks for a close with `code` (the first request wins). With `afterQueuedMessages`, what is already
    /// queued goes out first; either way nothing new is queued from now on.
    func requestClose(_ code: WebSocketErrorCode, reason: String, afterQueuedMessages: Bool = false) {
        state.withLock {
            guard $0.closeRequest == nil else { return }
            $0.closeRequest = CloseRequest(code: code, reason: reason, requestedAt: .now, afterQueuedMessages: afterQueuedMessages)
        }
        sendCloseIfReady()
        scheduleDrain()
    }

    /// Sets who sends the close frame; if a close is already due (the server began shutting down meanwhile), sends it.
    func setCloseSender(_ sender: @escaping CloseSender) {
        state.withLock { $0.closeSender = sender }
        sendCloseIfReady()
    }

    /// Hands the close to the sender once it may go: at once, or after the queued messages were written.
    private func sendCloseIfReady() {
        let ready: (CloseSender, WebSocketErrorCode, String)? = state.withLock {
            guard !$0.closeHandled, let close = $0.closeRequest, let sender = $0.closeSender else { return nil }
            guard !close.afterQueuedMessages || ($0.outbox.isEmpty && !$0.awaitingWritable) || $0.writeFailed else { return nil }
            $0.closeHandled = true
            $0.closeSender = nil
            return (sender, close.code, close.reason)
        }
        if let (sender, code, reason) = ready { sender(code, reason) }
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

    /// On the event loop: writes queued frames in order while the channel is writable, then flushes once. A close
    /// that is ready goes to the ``CloseSender``.
    func drain() {
        var wrote = false
        draining: while true {
            let step: DrainStep = state.withLock {
                $0.drainScheduled = false
                guard !$0.writeFailed else { return .stop }
                if let close = $0.closeRequest {
                    guard close.afterQueuedMessages else { return .closeReady }
                    if $0.outbox.isEmpty { return $0.awaitingWritable ? .stop : .closeReady }
                }
                guard !$0.awaitingWritable, frameContext(&$0) != nil, let item = $0.outbox.popFirst() else { return .stop }
                let caughtUp = $0.behindSince != nil && !$0.outbox.isFull
                if caughtUp { $0.behindSince = nil }
                switch item {
                case .message(let payload), .tick(_, _, _, let payload):
                    return .write(payload, conflatedTicks: 0, caughtUp: caughtUp)
                case .conflated(let folded):
                    return .write(WireFrame.text(folded.message.encodedJSON), conflatedTicks: folded.earlierTicks, caughtUp: caughtUp)
                }
            }
            guard case .write(let frame, let conflatedTicks, let caughtUp) = step else {
                if case .closeReady = step { sendCloseIfReady() }
                break draining
            }
            if caughtUp { metrics.connectionBehind(false) }
            metrics.frameSent(bytes: frame.readableBytes)
            if conflatedTicks > 0 { metrics.ticksConflated(conflatedTicks) }
            guard let context = state.withLock({ $0.frameContext }) else { break draining }
            wrote = true
            if channel.isWritable {
                context.write(NIOAny(frame), promise: nil)
                continue
            }
            // Past the high-water mark: this frame's promise says when the socket has taken everything before it.
            state.withLock {
                $0.awaitingWritable = true
                $0.writeStartedAt = .now
            }
            let promise = channel.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { result in
                let failed = (try? result.get()) == nil
                self.state.withLock {
                    $0.awaitingWritable = false
                    $0.writeStartedAt = nil
                    if failed { $0.writeFailed = true }
                }
                if failed { self.sendCloseIfReady() } else { self.drain() }
            }
            context.write(NIOAny(frame), promise: promise)
            break draining
        }
        // Flushed from the frame context too: nothing above NIO's encoder has anything to flush for these writes.
        if wrote { state.withLock { $0.frameContext }?.flush() }
    }

    /// The watchdog's and heartbeat's view, evaluated at `now`.
    func inspect(now: ContinuousClock.Instant, configuration: TickerServerConfiguration) -> Inspection {
        state.withLock {
            if let close = $0.closeRequest {
                return now - close.requestedAt > configuration.closeTimeout ? .stuckWhileClosing : .fine
            }
            let stalledSince = [$0.behindSince, $0.writeStartedAt].compactMap { $0 }.min()
            if let stalledSince, now - stalledSince > configuration.slowConsumerTimeout { return .slowConsumer }
            if let pingSentAt = $0.pingSentAt {
                if now - pingSentAt >= configuration.pingTimeout { return .pingTimedOut }
            } else if now - $0.lastHeardAt >= configuration.pingInterval {
                $0.pingSentAt = now
                return .needsPing
            }
            let heartbeatInterval = configuration.heartbeatInterval
            if $0.outbox.isEmpty, $0.writeStartedAt == nil, now - $0.lastQueuedAt >= heartbeatInterval {
                return .needsHeartbeat
            }
            return .fine
        }
    }

    enum Inspection {
        case fine
        case needsHeartbeat
        /// Heard nothing for the ping interval: a ping is due (already marked as sent).
        case needsPing
        /// The ping went unanswered for the ping timeout: a dead or half-open peer.
        case pingTimedOut
        case slowConsumer
        case stuckWhileClosing
    }

    /// The peer sent a frame: it is alive, and any ping is answered.
    func heardFromPeer() {
        state.withLock {
            $0.lastHeardAt = .now
            $0.pingSentAt = nil
        }
    }

    /// Starts noticing what the peer sends (``PeerActivityHandler`` after the frame decoder), on the event loop.
    func watchPeer() {
        channel.eventLoop.execute {
            let pipeline = self.channel.pipeline.syncOperations
            guard let decoder = try? pipeline.context(handlerType: ByteToMessageHandler<WebSocketFrameDecoder>.self) else { return }
            try? pipeline.addHandler(PeerActivityHandler(connection: self), position: .after(decoder.handler))
        }
    }

    /// On the event loop: a ping frame, written below the encoder like every other frame.
    func sendPing() {
        let context: ChannelHandlerContext? = state.withLock {
            guard $0.closeRequest == nil, !$0.writeFailed else { return nil }
            return frameContext(&$0)
        }
        context?.writeAndFlush(NIOAny(WireFrame.ping), promise: nil)
    }

    /// Where frames enter the pipeline, just below NIO's `WebSocketFrameEncoder`; looked up once, on the event loop.
    private func frameContext(_ state: inout State) -> ChannelHandlerContext? {
        if state.frameContext == nil {
            state.frameContext = try? channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        }
        return state.frameContext
    }

    /// The session ended: no close is sent any more, and the connection stops counting as behind.
    func finish() {
        let wasBehind = state.withLock { state -> Bool in
            defer {
                state.behindSince = nil
                state.closeHandled = true
                state.closeSender = nil
            }
            return state.behindSince != nil
        }
        if wasBehind { metrics.connectionBehind(false) }
    }
}
