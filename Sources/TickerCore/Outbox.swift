import DequeModule
import OrderedCollections

/// A connection's bounded send queue that conflates when the socket is slower than the feed.
///
/// Messages (`subscribed`, `snapshot`, `pong`, ...) are kept in order and never dropped. Tick frames are queued as the
/// shared, already-encoded `Payload` of their tick; once `tickCapacity` of them wait, the trailing run of tick frames
/// is folded into one ``ConflatedQuotes`` holding the latest quote per symbol. So a slow client costs memory bounded
/// by its capacity and the number of symbols, sees the newest state when it catches up, and learns from `conflated`
/// how many ticks were folded. Order is preserved: nothing is folded across a queued message.
public struct Outbox<Payload: Sendable>: Sendable {
    /// One queued frame.
    public enum Item: Sendable {
        /// A non-tick message, already encoded.
        case message(Payload)
        /// A tick frame shared with every client of the same content, plus its quotes for folding, and how many
        /// earlier ticks it already folds (its `conflated`: an edge's catch-up after an outage).
        case tick(seq: UInt64, ts: Int64, quotes: [Quote], earlier: Int, payload: Payload)
        /// Several ticks folded into one frame for this client; encoded when it is written.
        case conflated(ConflatedQuotes)
    }

    /// Tick frames (plain or folded) that may wait before folding starts.
    public let tickCapacity: Int
    public private(set) var items = Deque<Item>()
    /// Tick items (plain or folded) currently queued.
    public private(set) var queuedTicks = 0
    /// Items queued: `items.count`, kept beside the deque so that asking whether anything waits (on every frame)
    /// does not read the deque's storage.
    private var count = 0

    public init(tickCapacity: Int) {
        precondition(tickCapacity >= 1)
        self.tickCapacity = tickCapacity
    }

    public var isEmpty: Bool { count == 0 }

    /// True while the queue holds as many tick frames as it may: the next tick will be folded.
    public var isFull: Bool { queuedTicks >= tickCapacity }

    /// True while the client is behind: the queue is full, or ends in a folded frame that new ticks fold into.
    public var isConflating: Bool {
        if isFull { return true }
        if case .conflated? = items.last { return true }
        return false
    }

    public mutating func push(message payload: Payload) {
        items.append(.message(payload))
        count += 1
    }

    /// Queues a tick frame. While the client is behind (the queue is full, or the last frame is already folded), the
    /// tick is folded into the trailing frames instead.
    public mutating func push(tick seq: UInt64, ts: Int64, quotes: [Quote], earlier: Int = 0, payload: Payload) {
        let item = Item.tick(seq: seq, ts: ts, quotes: quotes, earlier: earlier, payload: payload)
        if case .conflated(var folded)? = items.last {
            folded.absorb(item)
            items[items.count - 1] = .conflated(folded)
            return
        }
        guard isFull, case .some(let last) = items.last, !last.isMessage else {
            items.append(item)
            queuedTicks += 1
            count += 1
            return
        }
        var folded = ConflatedQuotes(seq: seq, ts: ts)
        var foldedItems: [Item] = []
        while let candidate = items.last, !candidate.isMessage {
            foldedItems.append(items.removeLast())
            queuedTicks -= 1
            count -= 1
        }
        for foldedItem in foldedItems.reversed() { folded.absorb(foldedItem) }
        folded.absorb(item)
        items.append(.conflated(folded))
        queuedTicks += 1
        count += 1
    }

    public mutating func popFirst() -> Item? {
        guard let item = items.popFirst() else { return nil }
        count -= 1
        if !item.isMessage { queuedTicks -= 1 }
        return item
    }

}

extension Outbox.Item {
    var isMessage: Bool {
        if case .message = self { return true }
        return false
    }
}

/// Several ticks folded into one frame: the latest quote of every symbol they touched.
public struct ConflatedQuotes: Sendable, Hashable {
    /// The newest folded tick's `seq` and `ts`.
    public var seq: UInt64
    public var ts: Int64
    /// Latest quote per symbol, in order of first appearance.
    public var quotes: OrderedDictionary<String, Quote> = [:]
    /// How many ticks were folded in; the frame reports `tickCount - 1` earlier ticks as `conflated`.
    public var tickCount = 0

    public init(seq: UInt64, ts: Int64) {
        self.seq = seq
        self.ts = ts
    }

    /// `conflated` of the frame: the earlier ticks folded into it.
    public var earlierTicks: Int { tickCount - 1 }

    mutating func absorb<Payload>(_ item: Outbox<Payload>.Item) {
        switch item {
        case .message:
            preconditionFailure("messages are never folded")
        case .tick(let seq, let ts, let quotes, let earlier, _):
            for quote in quotes { self.quotes[quote.symbol] = quote }
            tickCount += 1 + earlier
            advance(seq: seq, ts: ts)
        case .conflated(let other):
            for (symbol, quote) in other.quotes { self.quotes[symbol] = quote }
            tickCount += other.tickCount
            advance(seq: other.seq, ts: other.ts)
        }
    }

    private mutating func advance(seq: UInt64, ts: Int64) {
        if seq >= self.seq {
            self.seq = seq
            self.ts = ts
        }
    }

    /// The frame: a `quotes` message with `conflated` set when more than one tick was folded.
    public var message: ServerMessage {
        .quotes(seq: seq, ts: ts, quotes: Array(quotes.values), conflated: earlierTicks > 0 ? earlierTicks : nil)
    }
}
