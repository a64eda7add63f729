/// The ground truth of a comparison: for each watched symbol, every tick that changed it, as a WebSocket "oracle"
/// connection straight to the server (not through a proxy) saw them.
public struct FeedRecord: Sendable {
    /// Per symbol, the changes in seq order.
    public private(set) var changes: [String: [Change]] = [:]

    public struct Change: Sendable, Hashable {
        public var seq: UInt64
        public var ts: Int64
    }

    public init() {}

    public mutating func record(seq: UInt64, ts: Int64, symbols: some Sequence<String>) {
        for symbol in symbols { changes[symbol, default: []].append(Change(seq: seq, ts: ts)) }
    }

    /// The change a client saw when it saw `symbol`'s state as of tick `seq`: the last change at or before `seq`.
    func change(of symbol: String, asOf seq: UInt64) -> Change? {
        guard let list = changes[symbol] else { return nil }
        var low = 0
        var high = list.count
        while low < high {
            let middle = (low + high) / 2
            if list[middle].seq <= seq { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : list[low - 1]
    }

    /// Every change with a seq in `window`.
    func changes(in window: ClosedRange<UInt64>) -> Set<SymbolChange> {
        var all = Set<SymbolChange>()
        for (symbol, list) in changes {
            for change in list where window.contains(change.seq) { all.insert(SymbolChange(symbol: symbol, seq: change.seq)) }
        }
        return all
    }
}

/// One symbol's change at one tick.
struct SymbolChange: Hashable, Sendable {
    var symbol: String
    var seq: UInt64
}

/// A quote a client received: which symbol, as of which tick, and when.
public struct Observation: Sendable, Hashable {
    public var symbol: String
    /// The tick the quote belongs to: the changing tick itself for push styles (`exact`), or the response's seq for
    /// polling styles (the state as of that tick; the change it shows is the last one at or before it).
    public var seq: UInt64
    public var exact: Bool
    /// When the client had it, microseconds since the epoch.
    public var seenAt: Int64

    public init(symbol: String, seq: UInt64, exact: Bool, seenAt: Int64) {
        self.symbol = symbol
        self.seq = seq
        self.exact = exact
        self.seenAt = seenAt
    }
}
