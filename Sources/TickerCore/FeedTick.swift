/// One step of the feed: a strictly increasing `seq`, its time, and the quotes that changed in it.
public struct FeedTick: Sendable {
    /// Feed sequence number, strictly increasing from 1.
    public var seq: UInt64
    /// Microseconds since the Unix epoch.
    public var ts: Int64
    /// Positions (in the catalog) of the symbols that changed, ascending.
    public var changed: [Int]
    /// The new quotes of the changed symbols, in the same order as `changed`.
    public var quotes: [Quote]

    public init(seq: UInt64, ts: Int64, changed: [Int], quotes: [Quote]) {
        self.seq = seq
        self.ts = ts
        self.changed = changed
        self.quotes = quotes
    }
}
