import TickerCore

/// One OHLC candle of a chart: the prices of the ticks in a fixed stretch of time, and the volume traded in it.
public struct Candle: Sendable, Hashable {
    public var open: Hundredths
    public var high: Hundredths
    public var low: Hundredths
    public var close: Hundredths
    /// Shares traded in the stretch: the growth of the session's volume across it.
    public var volume: Int64

    public init(open: Hundredths, high: Hundredths, low: Hundredths, close: Hundredths, volume: Int64) {
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    public var isUp: Bool { close >= open }

    /// `count` candles of `duration` microseconds each from `start`, built from `points` (oldest first). A stretch
    /// with no change repeats the last price before it as a flat candle; before the first point there is none (nil).
    public static func build(from points: [PriceHistory.Point], start: Int64, duration: Int64, count: Int) -> [Candle?] {
        precondition(duration > 0)
        var candles = [Candle?](repeating: nil, count: max(0, count))
        var index = points.firstIndex { $0.ts >= start } ?? points.endIndex
        var previous: PriceHistory.Point? = index > points.startIndex ? points[index - 1] : nil
        for slot in candles.indices {
            let end = start + duration * Int64(slot + 1)
            var candle = previous.map { Candle(open: $0.price, high: $0.price, low: $0.price, close: $0.price, volume: 0) }
            var first = true
            while index < points.endIndex, points[index].ts < end {
                let point = points[index]
                if first {
                    // The first change in the stretch opens it.
                    candle = Candle(open: point.price, high: point.price, low: point.price, close: point.price, volume: 0)
                    first = false
                }
                candle!.high = max(candle!.high, point.price)
                candle!.low = min(candle!.low, point.price)
                candle!.close = point.price
                candle!.volume += max(0, point.volume - (previous?.volume ?? point.volume))
                previous = point
                index += 1
            }
            candles[slot] = candle
        }
        return candles
    }
}
