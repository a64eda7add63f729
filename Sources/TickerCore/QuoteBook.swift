/// The latest state of the whole feed: what the polling endpoints answer from and what snapshots are cut from.
public struct QuoteBook: Sendable {
    /// The latest quote of every symbol, in catalog order.
    public private(set) var quotes: [Quote]
    /// The latest tick's `seq` (0 before the first tick) and `ts`.
    public private(set) var seq: UInt64 = 0
    public private(set) var ts: Int64 = 0
    /// The `seq` of the tick that last changed each symbol (0 = not since the start).
    public private(set) var lastChanged: [UInt64]

    public init(quotes: [Quote], ts: Int64) {
        self.quotes = quotes
        self.ts = ts
        self.lastChanged = Array(repeating: 0, count: quotes.count)
    }

    /// A book that starts at `seq` with `quotes` (an edge joining a feed already running). Every symbol counts as
    /// changed at `seq`: what happened before is unknown here, so a resume from earlier gets every quote.
    public init(quotes: [Quote], seq: UInt64, ts: Int64) {
        self.quotes = quotes
        self.seq = seq
        self.ts = ts
        self.lastChanged = Array(repeating: seq, count: quotes.count)
    }

    public mutating func apply(_ tick: FeedTick) {
        for (index, quote) in zip(tick.changed, tick.quotes) {
            quotes[index] = quote
            lastChanged[index] = tick.seq
        }
        seq = tick.seq
        ts = tick.ts
    }

    /// The current quotes of `symbols`, in catalog order.
    public func quotes(in symbols: SymbolSet) -> [Quote] {
        symbols.map { quotes[$0] }
    }

    /// The current quotes of the symbols in `symbols` that changed in a tick after `since`.
    public func quotes(in symbols: SymbolSet, changedAfter since: UInt64) -> [Quote] {
        symbols.compactMap { lastChanged[$0] > since ? quotes[$0] : nil }
    }
}
