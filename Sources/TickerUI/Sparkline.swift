import TickerCore

/// A price history drawn with the eight block heights `▁▂▃▄▅▆▇█`, scaled between its own low and high.
enum Sparkline {
    static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The last `width` prices as a string of `width` cells (right-aligned when the history is shorter).
    static func render(_ prices: [Hundredths], width: Int) -> String {
        let shown = prices.suffix(width)
        guard let low = shown.min()?.raw, let high = shown.max()?.raw else { return String(repeating: " ", count: width) }
        let span = high - low
        let bars = shown.map { price -> Character in
            guard span > 0 else { return levels[3] }
            return levels[Int((price.raw - low) * Int64(levels.count - 1) / span)]
        }
        return String(repeating: " ", count: width - bars.count) + String(bars)
    }
}
