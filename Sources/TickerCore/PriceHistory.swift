/// The recent changes of every symbol, oldest first, each in a ring of at most `depth` points: what
/// `GET /api/history` answers and a chart starts from. Every server keeps it from the ticks it applies.
///
/// A ring grows as its symbol changes and stops growing at `depth`; from then on each change replaces the oldest.
public struct PriceHistory: Sendable {
    /// One change of one symbol: the tick's `seq` and `ts`, the price after it and the session's volume so far.
    public struct Point: Hashable, Sendable {
        public var seq: UInt64
        public var ts: Int64
        public var price: Hundredths
        public var volume: Int64

        public init(seq: UInt64, ts: Int64, price: Hundredths, volume: Int64) {
            self.seq = seq
            self.ts = ts
            self.price = price
            self.volume = volume
        }
    }

    /// The most points kept per symbol.
    public let depth: Int
    private var rings: [Ring]

    public init(symbolCount: Int, depth: Int) {
        precondition(depth > 0, "a history keeps at least one point")
        self.depth = depth
        self.rings = Array(repeating: Ring(), count: symbolCount)
    }

    /// Records a point for every symbol the tick changed.
    public mutating func apply(_ tick: FeedTick) {
        // Positions rather than `zip`: this runs under the fan-out's lock on every tick.
        for position in tick.changed.indices {
            let quote = tick.quotes[position]
            rings[tick.changed[position]].append(Point(seq: tick.seq, ts: tick.ts, price: quote.price, volume: quote.volume), depth: depth)
        }
    }

    /// The last `count` points (all kept, when nil or more) of the symbol at catalog position `index`, oldest first.
    public func points(of index: Int, last count: Int? = nil) -> [Point] {
        let all = rings[index].ordered
        guard let count, count < all.count else { return all }
        return Array(all.suffix(count))
    }

    /// A ring buffer of points, grown on demand up to the depth.
    private struct Ring: Sendable {
        var storage: [Point] = []
        /// Where the oldest point is once the ring is full.
        var head = 0

        mutating func append(_ point: Point, depth: Int) {
            if storage.count < depth {
                storage.append(point)
            } else {
                storage[head] = point
                head = (head + 1) % depth
            }
        }

        var ordered: [Point] { Array(storage[head...] + storage[..<head]) }
    }
}
