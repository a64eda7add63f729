import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TickerCompression
import TickerCore

/// The hub between the feed and the clients: it keeps the quote book, the WebSocket connections grouped by
/// subscription set, the event loops' lanes, and the waiting long polls.
///
/// `publish` is the hot path. It never waits for a client: each changed quote is encoded once per tick, each distinct
/// frame content once (framed as the bytes that cross the wire), and each event loop's ``LoopLane`` gets one delivery
/// per tick listing which connections get which frame. The loops then write on their own, in parallel.
///
/// As a `Service` it runs the housekeeping sweep (heartbeats, pings, slow consumers) and, on graceful shutdown, closes
/// every socket with 1001. Put it after the application in the `ServiceGroup` so it is shut down first.
final class FanOut: Service, Sendable {
    let catalog: SymbolCatalog
    let configuration: TickerServerConfiguration
    let metrics: ServerMetrics
    let logger: Logger
    private let state: Mutex<State>
    /// The symbols every connection's `welcome` lists.
    private let welcomeSymbols: [ServerMessage.SymbolName]
    /// WebSocket channels open (refused and closing ones included): it returns to 0 once every client is gone.
    private let channels = Atomic<Int>(0)

    private struct State {
        var book: QuoteBook
        /// Each symbol's recent changes, for `GET /api/history`.
        var history: PriceHistory
        var nextID = 0
        var connections: [Int: Member] = [:]
        /// Connections by subscription set; a connection with no subscriptions is in no group.
        var groups: [SymbolSet: [Int: ClientConnection]] = [:]
        /// `groups` as the fan-out reads it, rebuilt after membership changes: per group, its members by lane.
        var groupsSnapshot: [Group]? = []
        /// The feed's compressors, one per window size clients asked for: each distinct tick frame is compressed once.
        var deflaters: [Int: MessageDeflater] = [:]
        /// One lane per event loop that has connections.
        var lanes: [ObjectIdentifier: LoopLane] = [:]
        var longPolls: [Int: LongPoll] = [:]
        /// `/api/quotes/poll` requests being answered (waiting or not), for `maxConcurrentLongPolls`.
        var longPollsInFlight = 0
        /// Open Server-Sent Events streams (they count against `--max-connections` too).
        var streams = 0
        var shuttingDown = false
        /// This server's name in `welcome`.
        var node: String
        /// The name of the history the book follows: a client's resume position is only good in the same epoch.
        var epoch: String
        /// The feed's tick interval, as `welcome` announces it (an edge's is the feed's).
        var tickIntervalMs: Int
        /// False on an edge until its first tick from the broker: new WebSockets are then closed with 1013.
        var hasFeed: Bool
        /// Whether the feed's source is reachable (always, in one process), and why not.
        var feedConnected: Bool
        var feedProblem: String?
        var lastTickAt: ContinuousClock.Instant?
    }

    /// What the hub knows of a connection.
    private struct Member {
        var connection: ClientConnection
        var lane: LoopLane
        var subscriptions: SymbolSet
        /// The compressor window it agreed to (`permessage-deflate`), nil for plain frames.
        var compressionBits: Int?
    }

    /// A subscription group as `publish` reads it.
    private struct Group {
        var set: SymbolSet
        var lanes: [LaneMembers]
    }

    /// A group's members on one lane: the plain ones, and the compressing ones by window size.
    private struct LaneMembers {
        var lane: LoopLane
        var plain: [ClientConnection] = []
        var compressing: [Int: [ClientConnection]] = [:]
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
        self.state = Mutex(
            State(
                book: QuoteBook(quotes: initialQuotes, ts: configuration.nowMicroseconds),
                history: PriceHistory(symbolCount: catalog.count, depth: configuration.historyDepth),
                node: configuration.nodeName ?? "\(ProcessInfo.processInfo.hostName):\(configuration.port)",
                epoch: configuration.database == nil ? configuration.epoch ?? Epoch.fresh() : "",
                tickIntervalMs: Int(configuration.tickInterval.milliseconds), hasFeed: configuration.database == nil,
                feedConnected: configuration.database == nil))
        welcomeSymbols = catalog.symbols.map { .init(symbol: $0.symbol, name: $0.name) }
    }

    /// The name of the history the book follows (on an edge, the feed's; empty before its first tick).
    var epoch: String { state.withLock { $0.epoch } }

    /// Names this server after the port it bound (when `nodeName` was not given and the port was chosen by the system).
    func listening(on port: Int) {
        guard configuration.nodeName == nil else { return }
        state.withLock { $0.node = "\(ProcessInfo.processInfo.hostName):\(port)" }
    }

    /// This server's name in `welcome`.
    var node: String { state.withLock { $0.node } }

    /// The `welcome` for a connection opening now: the symbols, the timings, and where the feed is.
    private func welcome(_ state: State) -> [UInt8] {
        ServerMessage.welcome(
            symbols: welcomeSymbols, tickIntervalMs: state.tickIntervalMs,
            heartbeatIntervalMs: Int(configuration.heartbeatInterval.milliseconds), epoch: state.epoch, seq: state.book.seq,
            node: state.node
        ).encodedJSON
    }

    // MARK: Feed side

    /// What `/healthz` says of the feed.
    struct FeedStatus: Sendable {
        var connected: Bool
        var hasFeed: Bool
        var problem: String?
        var epoch: String
        var seq: UInt64
        /// Milliseconds since the last tick applied (nil before the first).
        var lagMs: Int64?
    }

    var feedStatus: FeedStatus {
        state.withLock { state in
            FeedStatus(
                connected: state.feedConnected, hasFeed: state.hasFeed, problem: state.feedProblem, epoch: state.epoch,
                seq: state.book.seq, lagMs: state.lastTickAt.map { (ContinuousClock.now - $0).milliseconds })
        }
    }

    /// An edge's broker connection came up (or went down, and why). Clients stay connected either way.
    func feedConnection(_ connected: Bool, problem: String?) {
        state.withLock { state in
            state.feedConnected = connected
            state.feedProblem = problem
        }
    }

    /// An edge (re)starts from the feed's full state at `seq`. The first time, the book is simply that state. In a new
    /// epoch the history the clients followed is gone: the book starts over and every WebSocket is closed with 1012
    /// "new epoch", so clients reconnect and resynchronise from a snapshot. In the same epoch (a gap the broker's
    /// table no longer covered), the changes are folded into one tick, as for a slow consumer.
    func start(epoch: String, seq: UInt64, ts: Int64, quotes: [Quote], tickIntervalMs: Int) {
        let (newEpoch, folded) = state.withLock { state -> (Bool, (tick: FeedTick, earlier: Int)?) in
            state.tickIntervalMs = tickIntervalMs
            state.lastTickAt = .now
            let first = !state.hasFeed
            state.hasFeed = true
            if first || state.epoch != epoch {
                state.epoch = epoch
                state.book = QuoteBook(quotes: quotes, seq: seq, ts: ts)
                state.history = PriceHistory(symbolCount: catalog.count, depth: configuration.historyDepth)
                return (!first, nil)
            }
            guard seq > state.book.seq else { return (false, nil) }
            let changed = quotes.indices.filter { state.book.quotes[$0] != quotes[$0] }
            let tick = FeedTick(seq: seq, ts: ts, changed: changed, quotes: changed.map { quotes[$0] })
            return (false, (tick, Int(seq - state.book.seq) - 1))
        }
        if let folded { publish([folded.tick], earlier: folded.earlier) }
        if newEpoch {
            logger.warning("the feed started a new epoch \(epoch): closing every WebSocket with 1012 so clients resynchronise")
            for lane in lanes {
                lane.eventLoop.execute {
                    for connection in lane.channels.values { connection.requestClose(code: CloseCode.serviceRestart, reason: "new epoch") }
                }
            }
        }
    }

    /// Applies a tick to the book, answers the long polls it satisfies and hands it to every lane with an interested
    /// client. The deliveries are submitted under the hub lock, so a subscription change (also submitted under it)
    /// lands between exactly the ticks its snapshot covers and the ones after.
    func publish(_ tick: FeedTick) { publish([tick], earlier: 0) }

    /// Ticks an edge read at once after an outage: each is applied to the book and the history in order, and the
    /// clients get one frame of the latest quotes they changed, its `conflated` counting the earlier ticks, as a slow
    /// consumer gets them.
    func publish(caughtUp ticks: [FeedTick]) { publish(ticks, earlier: ticks.count - 1) }

    /// Applies `ticks` (consecutive) and delivers them as one frame per client, whose `conflated` says `earlier`.
    private func publish(_ ticks: [FeedTick], earlier: Int) {
        guard let last = ticks.last else { return }
        for _ in ticks { metrics.feedTicked() }
        let (answered, lanesToStart) = state.withLock {
            state -> ([(CheckedContinuation<QuoteSnapshot?, Never>, QuoteSnapshot)], [LoopLane]) in
            for tick in ticks {
                state.book.apply(tick)
                state.history.apply(tick)
            }
            state.lastTickAt = .now
            let tick = ticks.count == 1 ? last : Self.folded(ticks, book: state.book)
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
            guard !tick.changed.isEmpty else { return (answered, []) }
            let groups = Self.groupsSnapshot(&state)
            return (
                answered,
                Self.deliver(tick, earlier: earlier, groups: groups, catalog: catalog, deflaters: &state.deflaters, metrics: metrics)
            )
        }
        for (continuation, snapshot) in answered { continuation.resume(returning: snapshot) }
        for lane in lanesToStart { lane.start() }
    }

    /// Consecutive ticks as one: the last one's seq and ts, and the book's quote of every symbol any of them changed.
    private static func folded(_ ticks: [FeedTick], book: QuoteBook) -> FeedTick {
        let changed = Set(ticks.lazy.flatMap(\.changed)).sorted()
        return FeedTick(seq: ticks.last!.seq, ts: ticks.last!.ts, changed: changed, quotes: changed.map { book.quotes[$0] })
    }

    /// Encodes each distinct frame of `tick` once (and compresses it once per window size its compressing members
    /// asked for) and submits one delivery per lane; returns the lanes to start.
    private static func deliver(
        _ tick: FeedTick, earlier: Int, groups: [Group], catalog: SymbolCatalog, deflaters: inout [Int: MessageDeflater], metrics: ServerMetrics
    ) -> [LoopLane] {
        let changed = SymbolSet(capacity: catalog.count, members: tick.changed)
        var positionInTick = [Int](repeating: -1, count: catalog.count)
        for (position, index) in tick.changed.enumerated() { positionInTick[index] = position }
        var encodedQuotes = [[UInt8]?](repeating: nil, count: tick.changed.count)
        var frames: [SymbolSet: (payload: [UInt8], wire: [UInt8], quotes: [Quote])] = [:]
        var compressedFrames: [SymbolSet: [Int: [UInt8]?]] = [:]
        var perLane: [ObjectIdentifier: (lane: LoopLane, frames: [LoopLane.TickDelivery.Frame])] = [:]
        for group in groups {
            let content = group.set.intersection(changed)
            guard !content.isEmpty else { continue }
            let frame: (payload: [UInt8], wire: [UInt8], quotes: [Quote])
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
                let payload = ServerMessage.quotesFrame(
                    seq: tick.seq, ts: tick.ts, encodedQuotes: encoded, conflated: earlier > 0 ? earlier : nil)
                frame = (payload, WireFrame.textBytes(payload), quotes)
                frames[content] = frame
            }
            for members in group.lanes {
                var delivery = LoopLane.TickDelivery.Frame(wire: frame.wire, quotes: frame.quotes, members: members.plain)
                for (bits, compressing) in members.compressing {
                    let compressed: [UInt8]?
                    if let cached = compressedFrames[content]?[bits] {
                        compressed = cached
                    } else {
                        compressed = Self.compress(frame.payload, windowBits: bits, deflaters: &deflaters, metrics: metrics)
                        compressedFrames[content, default: [:]][bits] = compressed
                    }
                    if let compressed {
                        delivery.compressed.append((compressed, compressing))
                    } else {
                        delivery.members += compressing  // too small to gain: sent plain
                    }
                }
                perLane[ObjectIdentifier(members.lane), default: (members.lane, [])].frames.append(delivery)
            }
        }
        return perLane.values.compactMap { lane, frames in
            lane.submit(.tick(.init(seq: tick.seq, ts: tick.ts, earlier: earlier, frames: frames))) ? lane : nil
        }
    }

    /// `payload` compressed on its own and framed (RSV1 set), or nil when compressing would not make it smaller.
    private static func compress(
        _ payload: [UInt8], windowBits: Int, deflaters: inout [Int: MessageDeflater], metrics: ServerMetrics
    ) -> [UInt8]? {
        guard payload.count >= WireFrame.compressionThreshold else { return nil }
        if deflaters[windowBits] == nil { deflaters[windowBits] = try? MessageDeflater(windowBits: windowBits) }
        guard let compressed = try? deflaters[windowBits]?.compress(payload) else { return nil }
        metrics.messageCompressed()
        guard compressed.count < payload.count else { return nil }
        return WireFrame.textBytes(compressed, compressed: true)
    }

    private static func groupsSnapshot(_ state: inout State) -> [Group] {
        if let snapshot = state.groupsSnapshot { return snapshot }
        let connections = state.connections
        let snapshot = state.groups.map { set, members in
            var byLane: [ObjectIdentifier: LaneMembers] = [:]
            for (id, connection) in members {
                guard let member = connections[id] else { continue }
                let key = ObjectIdentifier(member.lane)
                if byLane[key] == nil { byLane[key] = LaneMembers(lane: member.lane) }
                if let bits = member.compressionBits {
                    byLane[key]!.compressing[bits, default: []].append(connection)
                } else {
                    byLane[key]!.plain.append(connection)
                }
            }
            return Group(set: set, lanes: Array(byLane.values))
        }
        state.groupsSnapshot = snapshot
        return snapshot
    }

    // MARK: WebSocket side

    /// The lane of `eventLoop`, made on first use.
    func lane(for eventLoop: any EventLoop) -> LoopLane {
        state.withLock { state in
            if let lane = state.lanes[ObjectIdentifier(eventLoop)] { return lane }
            let lane = LoopLane(eventLoop: eventLoop)
            state.lanes[ObjectIdentifier(eventLoop)] = lane
            return lane
        }
    }

    /// The outcome of ``register(_:)``.
    enum Registration {
        /// Registered under `id`; `welcome` is its first message.
        case registered(id: Int, welcome: [UInt8])
        case full
        case shuttingDown
        /// An edge that has not received a tick yet.
        case noFeed
    }

    /// Adds a connection (on its loop), unless the server is full (`--max-connections`) or shutting down.
    func register(_ connection: ClientConnection) -> Registration {
        let result: Registration = state.withLock { state in
            guard !state.shuttingDown else { return .shuttingDown }
            guard state.hasFeed else { return .noFeed }
            if let limit = configuration.access.maxConnections, state.connections.count + state.streams >= limit { return .full }
            state.nextID += 1
            state.connections[state.nextID] = Member(
                connection: connection, lane: connection.lane, subscriptions: SymbolSet(capacity: catalog.count),
                compressionBits: connection.compression?.serverWindowBits)
            return .registered(id: state.nextID, welcome: welcome(state))
        }
        if case .registered(let id, _) = result {
            metrics.connectionOpened()
            logger.info("client \(id) connected: sending welcome")
        }
        return result
    }

    func unregister(_ connection: ClientConnection, closeCode: UInt16?) {
        state.withLock { state in
            guard let member = state.connections.removeValue(forKey: connection.id) else { return }
            Self.leaveGroup(connection.id, set: member.subscriptions, state: &state)
        }
        metrics.connectionClosed(code: closeCode)
        logger.info("client \(connection.id) disconnected (close \(closeCode.map(String.init) ?? "1006, no close frame"))")
    }

    /// A WebSocket channel began (its handler was added) or ended.
    func channelOpened() { channels.add(1, ordering: .relaxed) }
    func channelClosed() { channels.subtract(1, ordering: .relaxed) }

    /// On the connection's loop: applies a subscribe or unsubscribe and queues `subscribed`, the `snapshot` of added
    /// symbols and any error, in order with the ticks: they are handed to the connection's lane under the hub lock,
    /// behind every tick the snapshot covers and ahead of every tick it does not.
    ///
    /// `resume` (on a subscribe) asks to continue from where the client was instead of a snapshot: granted on a
    /// connection with no subscription yet, in this epoch, from a seq not ahead of the feed. Then the answer is one
    /// `quotes` frame at the current seq with the latest quote of every requested symbol that changed after it (empty
    /// when nothing did), `"conflated"` counting the other ticks folded in and `"resumed":true`; otherwise a snapshot
    /// with `"resumed":false`.
    ///
    /// A resume from a seq this server has not reached yet, in its own epoch, comes from a client of an edge that is
    /// ahead: the answer waits (up to a second) for this one to catch up before giving up and sending a snapshot.
    func changeSubscriptions(
        _ connection: ClientConnection, subscribe: Bool, names: [String], resume: FeedPosition? = nil, resumeDeadline: NIODeadline? = nil
    ) {
        if subscribe, let resume {
            let deadline = resumeDeadline ?? .now() + .seconds(1)
            let lagging = state.withLock { state -> (any EventLoop)? in
                guard let member = state.connections[connection.id], member.subscriptions.isEmpty, resume.epoch == state.epoch,
                    resume.seq > state.book.seq, NIODeadline.now() < deadline
                else { return nil }
                return member.lane.eventLoop
            }
            if let lagging {
                lagging.scheduleTask(in: .milliseconds(20)) {
                    self.changeSubscriptions(connection, subscribe: true, names: names, resume: resume, resumeDeadline: deadline)
                }
                return
            }
        }
        let selection = SymbolSelection(names: names, in: catalog)
        let limit = configuration.maxSubscriptionsPerClient
        let outcome = state.withLock { state -> (summary: String, lane: LoopLane?, start: Bool) in
            guard let member = state.connections[connection.id] else { return ("gone", nil, false) }
            let old = member.subscriptions
            let new = subscribe ? old.union(selection.known) : old.subtracting(selection.known)
            var messages: [ServerMessage] = []
            var summary: String
            if subscribe, new.count > limit, new.count > old.count {
                messages.append(
                    .error(
                        code: .tooManySubscriptions,
                        message: "subscribing would hold \(new.count) symbols; this server allows \(limit) per connection; nothing changed",
                        symbols: nil))
                summary = "refused: \(new.count) symbols is over the limit of \(limit)"
            } else {
                messages.append(.subscribed(symbols: new.map { catalog.symbols[$0].symbol }))
                let added = new.subtracting(old)
                let book = state.book
                let resumption = resume.flatMap { old.isEmpty ? $0.resumption(at: FeedPosition(epoch: state.epoch, seq: book.seq)) : nil }
                switch resumption {
                case .resume(let folded)?:
                    let since = resume?.seq ?? book.seq
                    messages.append(
                        .quotes(
                            seq: book.seq, ts: book.ts, quotes: book.quotes(in: added, changedAfter: since),
                            conflated: folded > 0 ? folded : nil, resumed: true))
                case .resynchronise?:
                    messages.append(.snapshot(seq: book.seq, ts: book.ts, quotes: book.quotes(in: added), epoch: state.epoch, resumed: false))
                case nil:
                    if !added.isEmpty {
                        messages.append(.snapshot(seq: book.seq, ts: book.ts, quotes: book.quotes(in: added), epoch: state.epoch))
                    }
                }
                if let error = selection.unknownSymbolError { messages.append(error) }
                if new != old {
                    Self.leaveGroup(connection.id, set: old, state: &state)
                    if !new.isEmpty { state.groups[new, default: [:]][connection.id] = connection }
                    state.connections[connection.id]?.subscriptions = new
                    state.groupsSnapshot = nil
                }
                switch resumption {
                case .resume(let folded)?:
                    summary = "now \(new.count) symbol(s), resumed from seq \(resume?.seq ?? 0) (\(folded) tick(s) folded)"
                case .resynchronise(let reason)?:
                    summary = "now \(new.count) symbol(s), resume refused (\(reason)): snapshot of \(added.count)"
                case nil:
                    summary = "now \(new.count) symbol(s)" + (added.isEmpty ? "" : ", snapshot of \(added.count)")
                }
            }
            let payloads = messages.map(\.encodedJSON)
            let start = member.lane.submit(.action { for payload in payloads { connection.queue(message: payload) } })
            return (summary, member.lane, start)
        }
        // On this loop already: run the lane now rather than after the next read.
        if outcome.start { outcome.lane?.run() }
        logger.info("client \(connection.id) \(subscribe ? "subscribed" : "unsubscribed"): \(outcome.summary)")
    }

    private static func leaveGroup(_ id: Int, set: SymbolSet, state: inout State) {
        guard !set.isEmpty else { return }
        state.groups[set]?[id] = nil
        if state.groups[set]?.isEmpty == true { state.groups[set] = nil }
        state.groupsSnapshot = nil
    }

    /// Every lane, for the sweep, the tallies and shutdown.
    private var lanes: [LoopLane] { state.withLock { Array($0.lanes.values) } }

    /// The sweep on every loop: heartbeats for idle clients, pings for silent peers, 1008 for slow consumers, a
    /// dropped socket for a peer that will not even take its close frame.
    func sweep() {
        let seq = self.seq
        let configuration = configuration
        for lane in lanes { lane.eventLoop.execute { lane.sweep(seq: seq, configuration: configuration) } }
    }

    /// The loops' tallies, summed (each read on its own loop).
    func tally() async -> LoopLane.Tally {
        var total = LoopLane.Tally()
        for lane in lanes { total = total + ((try? await lane.eventLoop.submit { lane.tally }.get()) ?? .init()) }
        return total
    }

    // MARK: Polling side

    /// The current state of `symbols`.
    func currentQuotes(_ symbols: SymbolSet) -> QuoteSnapshot {
        state.withLock { QuoteSnapshot(seq: $0.book.seq, ts: $0.book.ts, quotes: $0.book.quotes(in: symbols)) }
    }

    /// The last `points` changes of the symbol at catalog position `index`, oldest first, and the feed's seq.
    func history(of index: Int, last points: Int) -> (seq: UInt64, points: [PriceHistory.Point]) {
        state.withLock { ($0.book.seq, $0.history.points(of: index, last: points)) }
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

    /// Waits until a tick after `since` changes one of `symbols` (nil `since` = the current seq), or `timeout` passes
    /// (nil). Returns the latest state of the changed symbols. A `since` ahead of the feed (the server restarted since
    /// the client saw it) is answered at once with the state of every symbol asked for.
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
    var channelCount: Int { channels.load(ordering: .relaxed) }
    /// Open Server-Sent Events streams and long polls being answered.
    var httpWaiters: (streams: Int, longPolls: Int) { state.withLock { ($0.streams, $0.longPollsInFlight) } }
    /// True once graceful shutdown began: long-lived HTTP responses (SSE) end.
    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }
    var seq: UInt64 { state.withLock { $0.book.seq } }

    // MARK: Service

    /// Sweeps until graceful shutdown, then closes every socket with 1001, answers waiting long polls, and waits (at
    /// most `closeTimeout`) for the clients to answer their close.
    func run() async throws {
        // A quarter of the shortest deadline it enforces, from 10 ms to 1 s: with the defaults (5 s heartbeats) a sweep a
        // second, a few comparisons per connection on each loop. (A close's timeout is a timer of its own.)
        let shortest = min(
            configuration.heartbeatInterval, configuration.slowConsumerTimeout, configuration.pingInterval, configuration.pingTimeout,
            configuration.closeTimeout * 4)
        let period = max(.milliseconds(10), min(shortest / 4, .seconds(1)))
        // The sleep is cut short when graceful shutdown begins, so the closes below start at once, not a period later.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: period)
                self.sweep()
            }
        }
        let (lanes, polls, count) = state.withLock { state in
            state.shuttingDown = true
            defer { state.longPolls.removeAll() }
            return (Array(state.lanes.values), Array(state.longPolls.values), state.connections.count)
        }
        logger.info("shutting down: closing \(count) WebSocket connection(s) with 1001")
        for lane in lanes {
            lane.eventLoop.execute {
                for connection in lane.channels.values {
                    connection.requestClose(code: CloseCode.goingAway, reason: "server shutting down")
                }
            }
        }
        for poll in polls { poll.continuation.resume(returning: nil) }
        let deadline = ContinuousClock.now + configuration.closeTimeout
        while channelCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        // Whoever has not answered by now is dropped, so the HTTP server's own shutdown (which waits for every
        // connection to close) does not wait for them.
        for lane in lanes { lane.eventLoop.execute { for connection in lane.channels.values { connection.abort() } } }
    }
}
