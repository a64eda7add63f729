import Foundation

/// A seeded market simulator: each symbol follows a geometric Brownian motion with the drift and volatility of its
/// assets entry, and is quoted on a 0.01 grid with a bid/ask spread, session open/high/low and accumulated volume.
///
/// Every tick advances simulated time by one trading minute (`simulatedSecondsPerTick`), whatever the wall-clock
/// interval, so the prices move visibly at any `--tick-ms` and the same `seed` and `activity` always replay the same
/// sequence of quotes. Only the timestamps, which the caller passes in, come from the wall clock.
public struct PriceSimulator: Sendable {
    /// Simulated trading seconds that pass in one tick.
    public static let simulatedSecondsPerTick = 60.0
    /// Trading seconds in a year: 252 sessions of 6.5 hours.
    static let tradingSecondsPerYear = 252 * 6.5 * 3600

    public let catalog: SymbolCatalog
    /// Probability that a given symbol changes in a tick (1.0 = every symbol every tick).
    public let activity: Double
    /// The latest quote of every symbol, in catalog order.
    public internal(set) var quotes: [Quote]
    /// The `seq` of the latest tick, 0 before the first.
    public internal(set) var seq: UInt64 = 0

    var generator: SeededGenerator
    var exactPrices: [Double]
    private let driftTerms: [Double]
    private let diffusionTerms: [Double]

    public init(catalog: SymbolCatalog, seed: UInt64, activity: Double) {
        precondition((0...1).contains(activity), "activity is a probability")
        self.catalog = catalog
        self.activity = activity
        var generator = SeededGenerator(seed: seed)
        let dt = Self.simulatedSecondsPerTick / Self.tradingSecondsPerYear
        var quotes: [Quote] = []
        var exactPrices: [Double] = []
        var driftTerms: [Double] = []
        var diffusionTerms: [Double] = []
        for info in catalog.symbols {
            let sigma = info.annualVolatility
            driftTerms.append((info.annualDrift - sigma * sigma / 2) * dt)
            diffusionTerms.append(sigma * dt.squareRoot())
            // The session opens with a small overnight gap from the previous close.
            let gap = generator.nextNormal() * sigma * (1.0 / 252).squareRoot() * 0.3
            let openPrice = info.referencePrice * exp(gap)
            let open = Self.onGrid(openPrice)
            let prevClose = Self.onGrid(info.referencePrice)
            let openingVolume = Int64(20_000 + generator.nextUnit() * 480_000)
            quotes.append(
                Self.quote(
                    symbol: info.symbol, price: open, open: open, high: open, low: open, prevClose: prevClose,
                    volume: openingVolume))
            exactPrices.append(openPrice)
        }
        self.generator = generator
        self.quotes = quotes
        self.exactPrices = exactPrices
        self.driftTerms = driftTerms
        self.diffusionTerms = diffusionTerms
    }

    /// Advances the feed by one tick stamped `timestamp` (microseconds since the epoch) and returns what changed.
    public mutating func step(timestamp: Int64) -> FeedTick {
        seq += 1
        var changed: [Int] = []
        var changedQuotes: [Quote] = []
        for index in quotes.indices {
            guard activity >= 1 || generator.nextUnit() < activity else { continue }
            let shock = generator.nextNormal()
            exactPrices[index] *= exp(driftTerms[index] + diffusionTerms[index] * shock)
            let price = Self.onGrid(exactPrices[index])
            let lots = Int64(1 + generator.nextUnit() * 40)
            var quote = quotes[index]
            quote = Self.quote(
                symbol: quote.symbol, price: price, open: quote.open, high: max(quote.high, price),
                low: min(quote.low, price), prevClose: quote.prevClose, volume: quote.volume + lots * 100)
            quotes[index] = quote
            changed.append(index)
            changedQuotes.append(quote)
        }
        return FeedTick(seq: seq, ts: timestamp, changed: changed, quotes: changedQuotes)
    }

    /// A price rounded to the 0.01 grid, never below one cent.
    static func onGrid(_ dollars: Double) -> Hundredths {
        Hundredths(raw: max(1, Int64((dollars * 100).rounded())))
    }

    /// Builds a quote whose bid and ask sit half a spread (about 1 basis point, at least one cent) either side.
    static func quote(
        symbol: String, price: Hundredths, open: Hundredths, high: Hundredths, low: Hundredths,
        prevClose: Hundredths, volume: Int64
    ) -> Quote {
        let halfSpread = max(1, Int64((Double(price.raw) * 0.00005).rounded()))
        return Quote(
            symbol: symbol, price: price, bid: Hundredths(raw: max(1, price.raw - halfSpread)),
            ask: Hundredths(raw: price.raw + halfSpread), open: open, high: high, low: low, prevClose: prevClose,
            volume: volume)
    }
}
