import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import Synchronization
import TickerCore

/// The hub between the feed and the clients: it keeps the quote book, the WebSocket connections grouped by
/// subscription set, and the waiting long polls.
///
/// `publish` is the hot path. It never waits for a client: each changed quote is encoded once per tick, each distinct
/// frame content once, and the same `ByteBuffer` is queued on every connection that wants it. Each connection's
/// writer drains its own outbox at the speed of its socket.
///
/// As a `Service` it runs the housekeeping sweep (heartbeats, slow consumers) and, on graceful shutdown, closes every
/// socket with 1001. Put it after the application in the `ServiceGroup` so it is shut down first.
final class FanOut: Service, Sendable {
    let catalog: SymbolCatalog
    let configuration: TickerServerConfiguration
    let metrics: ServerMetrics
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var book: QuoteBook
        var nextID = 0
        var connections: [Int: ClientConnection] = [:]
        /// Connections by subscription set; a connection with no subscriptions is in no group.
        var groups: [SymbolSet: [Int: ClientConnection]] = [:]
        /// `groups` as the fan-out reads it, rebuilt after membership changes.
        var groupsSnapshot: [(set: SymbolSet, members: [ClientConnection])]? = []
        var longPolls: [Int: LongPoll] = [:]
        /// Per event loop: the ticks waiting to be delivered there, one task at a time.
        var lanes: [ObjectIdentifier: LoopLane] = [:]
        /// `/api/quotes/poll` requests being answered (waiting or not), for `maxConcurrentLongPolls`.
        var longPollsInFlight = 0
        /// Open Server-Sent Events streams (they count against `--max-connections` too).
        var streams = 0
        var shuttingDown = false
    }

    private struct LongPoll {
        var symbols: SymbolSet
        var since: UInt64
        var continuation: CheckedContinuation<QuoteSnapshot?, Never>
    }

    /// A consistent cut of the book: what the polling endpoints answer.
    struct QuoteSnapshot: Sendable {
        var seq: UInt64
        var ts: Int64
        var quotes: [Quote]
    }

    init(catalog: SymbolCatalog, initialQuotes: [Quote], configuration: TickerServerConfiguration, metrics: ServerMetrics, logger: Logger) {
        self.catalog = catalog
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.state = Mutex(State(book: QuoteBook(quotes: initialQuotes, ts: WallClock.nowMicroseconds())))
    }

    // MARK: Feed side

    /// Applies a tick to the book, answers the long polls it satisfies and queues it for every interested client.
    func publish(_ tick: FeedTick) {
        metrics.feedTicked()
        let (groups, answered) = state.withLock {
            state -> ([(set: SymbolSet, members: [ClientConnection])], [(CheckedContinuation<QuoteSnapshot?, Never>, QuoteSnapshot)]) in
            state.book.apply(tick)
            var answered: [(CheckedContinuation<QuoteSnapshot?, Never>, QuoteSnapshot)] = []
            if !state.longPolls.isEmpty, !tick.changed.isEmpty {
                for (id, poll) in state.longPolls {
                    let quotes = state.book.quotes(in: poll.symbols, changedAfter: poll.since)
                    guard !quotes.isEmpty else { continue }
                    state.longPolls[id] = nil
                    answered.append((poll.continuation, QuoteSnapshot(seq: tick.seq, ts: tick.ts, quotes: quotes)))
                }
                metrics.longPollsWaiting(state.longPolls.count)
            }
            return (Self.groupsSnapshot(&state), answered)
        }
        for (continuation, snapshot) in answered { continuation.resume(returning: snapshot) }
        guard !tick.changed.isEmpty else { return }

        let changed = SymbolSet(capacity: catalog.count, members: tick.changed)
        var positionInTick = [Int](repeating: -1, count: catalog.count)
        for (position, index) in tick.changed.enumerated() { positionInTick[index] = position }
        var encodedQuotes = [[UInt8]?](repeating: nil, count: tick.changed.count)
        var frames: [SymbolSet: (quotes: [Quote], payload: ByteBuffer)] = [:]
        var perLoop: [ObjectIdentifier: [(connection: ClientConnection, delivery: Delivery)]] = [:]
        for group in groups {
            let content = group.set.intersection(changed)
            guard !content.isEmpty else { continue }
            let frame: (quotes: [Quote], payload: ByteBuffer)
            if let cached = frames[content] {
                frame = cached
            } else {
                var quotes: [Quote] = []
                var encoded: [[UInt8]] = []
                for index in content {
                    let position = positionInTick[index]
                    quotes.append(tick.quotes[position])
                    if encodedQuotes[position] == nil { encodedQuotes[position] = tick.quotes[position].encodedJSON }
                    encoded.append(encodedQuotes[position]!)
                }
                let bytes = ServerMessage.quotesFrame(seq: tick.seq, ts: tick.ts, encodedQuotes: encoded)
                frame = (quotes, WireFrame.text(bytes))
                frames[content] = frame
            }
            let delivery = Delivery(quotes: frame.quotes, payload: frame.payload, groupSet: group.set)
            for connection in group.members {
                perLoop[ObjectIdentifier(connection.channel.eventLoop), default: []].append((connection, delivery))
            }
        }
        // One task per event loop delivers to all of its connections: no per-connection task, wake-up or hop. A loop
        // that has fallen behind gets the ticks queued in order instead (LoopLane), bounded by conflation.
        let catalog = catalog
        for (loopID, deliveries) in perLoop {
            let batch = LoopLane.Batch(
                deliver: { direct in
                    for (connection, delivery) in deliveries {
                        let take = direct ? connection.deliverTick : connection.enqueueTick
                        take(tick, delivery.quotes, delivery.payload, delivery.groupSet, catalog)
                    }
                },
                connections: deliveries.map(\.connection))
            let lane = lane(loopID)
            if lane.submit(batch) { deliveries[0].connection.channel.eventLoop.execute { lane.run() } }
        }
    }

    private func lane(_ id: ObjectIdentifier) -> LoopLane {
        state.withLock { state in
            if let lane = state.lanes[id] { return lane }
            let lane = LoopLane()
            state.lanes[id] = lane
            return lane
        }
    }

    /// One group's frame of a tick.
    private struct Delivery: Sendable {
        var quotes: [Quote]
        var payload: ByteBuffer
        var groupSet: SymbolSet
    }

    private static func groupsSnapshot(_ state: inout State) -> [(set: SymbolSet, members: [ClientConnection])] {
        if let snapshot = state.groupsSnapshot { return snapshot }
        let snapshot = state.groups.map { (set: $0.key, members: Array($0.value.values)) }
        state.groupsSnapshot = snapshot
        return snapshot
    }

    // MARK: WebSocket side

    /// The outcome of ``register(channel:)``.
    enum Registration {
        case registered(ClientConnection)
        case full
        case shuttingDown
    }

    /// Adds a connection and queues its `welcome`, unless the server is full (`--max-connections`) or shutting down.
    func register(channel: any Channel) -> Registration {
        let result: Registration = state.withLock { state in
            guard !state.shuttingDown else { return .shuttingDown }
            if let limit = configuration.access.maxConnections, state.connections.count + state.streams >= limit { return .full }
            state.nextID += 1
            let connection = ClientConnection(
                id: state.nextID, channel: channel, symbolCount: catalog.count, configuration: configuration, metrics: metrics)
            state.connections[connection.id] = connection
            return .registered(connection)
        }
        guard case .registered(let connection) = result else { return result }
        metrics.connectionOpened()
        logger.info("client \(connection.id) connected: sending welcome")
        connection.send(
            .welcome(
                symbols: catalog.symbols.map { .init(symbol: $0.symbol, name: $0.name) },
                tickIntervalMs: Int(configuration.tickInterval.milliseconds),
                heartbeatIntervalMs: Int(configuration.heartbeatInterval.milliseconds)))
        return .registered(connection)
    }

    /// Counts a Server-Sent Events stream against `--max-connections`; false when the server is full.
    func openStream() -> Bool {
        state.withLock { state in
            if let limit = configuration.access.maxConnections, state.connections.count + state.streams >= limit { return false }
            state.streams += 1
            return true
        }
    }

    func closeStream() {
        state.withLock { $0.streams -= 1 }
    }

    func unregister(_ connection: ClientConnection, closeCode: Int?) {
        state.withLock { state in
            state.connections[connection.id] = nil
            Self.leaveGroup(connection, set: connection.subscriptions, state: &state)
        }
        connection.finish()
        metrics.connectionClosed(code: closeCode)
        logger.info("client \(connection.id) disconnected\(closeCode.map { " (close \($0))" } ?? "")")
    }

    /// Applies a subscribe or unsubscribe and queues `subscribed`, the `snapshot` of added symbols and any error.
    func changeSubscriptions(_ connection: ClientConnection, subscribe: Bool, names: [String]) {
        let selection = SymbolSelection(names: names, in: catalog)
        let limit = configuration.maxSubscriptionsPerClient
        let summary = state.withLock { state -> String in
            let old = connection.subscriptions
            let new = subscribe ? old.union(selection.known) : old.subtracting(selection.known)
            if subscribe, new.count > limit, new.count > old.count {
                let refusal = ServerMessage.error(
                    code: .tooManySubscriptions,
                    message: "subscribing would hold \(new.count) symbols; this server allows \(limit) per connection; nothing changed",
                    symbols: nil)
                connection.send(refusal)
                return "refused: \(new.count) symbols is over the limit of \(limit)"
            }
            var messages: [ServerMessage] = [.subscribed(symbols: new.map { catalog.symbols[$0].symbol })]
            let added = new.subtracting(old)
            if !added.isEmpty {
                messages.append(.snapshot(seq: state.book.seq, ts: state.book.ts, quotes: state.book.quotes(in: added)))
            }
            if let error = selection.unknownSymbolError { messages.append(error) }
            let removed = Set(old.subtracting(new).map { catalog.symbols[$0].symbol })
            if new != old {
                Self.leaveGroup(connection, set: old, state: &state)
                if !new.isEmpty { state.groups[new, default: [:]][connection.id] = connection }
                state.groupsSnapshot = nil
            }
            // Queued while the hub is locked, so no tick can slip between the snapshot and the new membership.
            connection.updateSubscriptions(new, removed: removed, messages: messages)
            return "now \(new.count) symbol(s)" + (added.isEmpty ? "" : ", snapshot of \(added.count)")
        }
        logger.info("client \(connection.id) \(subscribe ? "subscribed" : "unsubscribed"): \(summary)")
    }

    private static func leaveGroup(_ connection: ClientConnection, set: SymbolSet, state: inout State) {
        guard !set.isEmpty else { return }
        state.groups[set]?[connection.id] = nil
        if state.groups[set]?.isEmpty == true { state.groups[set] = nil }
        state.groupsSnapshot = nil
    }

    /// Heartbeats for idle clients, 1008 for slow consumers, a dropped socket for a peer that will not even take that.
    func sweep(now: ContinuousClock.Instant = .now) {
        let (connections, seq) = state.withLock { (Array($0.connections.values), $0.book.seq) }
        for connection in connections {
            switch connection.inspect(now: now, configuration: configuration) {
            case .fine:
                break
            case .needsPing:
                connection.channel.eventLoop.execute { connection.sendPing() }
            case .pingTimedOut:
                logger.notice("closing a peer that did not answer a ping", metadata: ["connection": "\(connection.id)"])
                connection.requestClose(.goingAway, reason: "Ping timeout")
            case .needsHeartbeat:
                connection.send(.heartbeat(seq: seq, ts: WallClock.nowMicroseconds()))
            case .slowConsumer:
                logger.notice("closing slow consumer", metadata: ["connection": "\(connection.id)"])
                metrics.slowConsumerClosed()
                connection.requestClose(.policyViolation, reason: "slow consumer")
            case .stuckWhileClosing:
                logger.notice("dropping connection that did not take its close frame", metadata: ["connection": "\(connection.id)"])
                connection.channel.close(promise: nil)
            }
        }
    }

    // MARK: Polling side

    /// The current state of `symbols`.
    func currentQuotes(_ symbols: SymbolSet) -> QuoteSnapshot {
        state.withLock { QuoteSnapshot(seq: $0.book.seq, ts: $0.book.ts, quotes: $0.book.quotes(in: symbols)) }
    }

    /// Waits until a tick after `since` changes one of `symbols` (nil `since` = the current seq), or `timeout` passes
    /// (nil). Returns the latest state of the changed symbols. A `since` ahead of the feed (the server restarted since
    /// the client saw it) is answered at once with the state of every symbol asked for.
    /// Counts a long poll in, unless `maxConcurrentLongPolls` are already waiting; `finishLongPoll` counts it out.
    func admitLongPoll() -> Bool {
        state.withLock { state in
            guard state.longPollsInFlight < configuration.maxConcurrentLongPolls else { return false }
            state.longPollsInFlight += 1
            return true
        }
    }

    func finishLongPoll() {
        state.withLock { $0.longPollsInFlight -= 1 }
    }

    func longPoll(symbols: SymbolSet, since: UInt64?, timeout: Duration) async -> QuoteSnapshot? {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskGroup(of: QuoteSnapshot?.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let immediate: QuoteSnapshot?? = self.state.withLock { state in
                            let book = state.book
                            // A `since` ahead of the feed comes from before a server restart: resynchronise with everything.
                            let restarted = since.map { $0 > book.seq } ?? false
                            let quotes = restarted ? book.quotes(in: symbols) : book.quotes(in: symbols, changedAfter: since ?? book.seq)
                            if !quotes.isEmpty { return .some(QuoteSnapshot(seq: state.book.seq, ts: state.book.ts, quotes: quotes)) }
                            if state.shuttingDown || Task.isCancelled { return .some(nil) }
                            state.longPolls[id] = LongPoll(symbols: symbols, since: since ?? book.seq, continuation: continuation)
                            self.metrics.longPollsWaiting(state.longPolls.count)
                            return .none
                        }
                        if let immediate { continuation.resume(returning: immediate) }
                    }
                } onCancel: {
                    self.state.withLock { $0.longPolls.removeValue(forKey: id) }?.continuation.resume(returning: nil)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    var connectionCount: Int { state.withLock { $0.connections.count } }
    /// Open Server-Sent Events streams and long polls being answered.
    var httpWaiters: (streams: Int, longPolls: Int) { state.withLock { ($0.streams, $0.longPollsInFlight) } }
    /// True once graceful shutdown began: long-lived HTTP responses (SSE) end.
    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }
    var seq: UInt64 { state.withLock { $0.book.seq } }

    // MARK: Service

    /// Sweeps until graceful shutdown, then closes every socket with 1001 and answers waiting long polls.
    func run() async throws {
        // A quarter of the shortest deadline it enforces, from 10 to 250 ms: with the defaults (1 s close timeout) four
        // sweeps a second, each a lock and a few comparisons per connection.
        let shortest = min(
            configuration.heartbeatInterval, configuration.slowConsumerTimeout, configuration.closeTimeout,
            configuration.pingInterval, configuration.pingTimeout)
        let period = max(.milliseconds(10), min(shortest / 4, .milliseconds(250)))
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await Task.sleep(for: period)
            sweep()
        }
        let (connections, polls) = state.withLock { state in
            state.shuttingDown = true
            defer { state.longPolls.removeAll() }
            return (Array(state.connections.values), Array(state.longPolls.values))
        }
        logger.info("shutting down: closing \(connections.count) WebSocket connection(s) with 1001")
        for connection in connections { connection.requestClose(.goingAway, reason: "server shutting down") }
        for poll in polls { poll.continuation.resume(returning: nil) }
    }
}
