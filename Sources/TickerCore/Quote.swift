/// The state of one symbol after a tick: the `Quote` object of `ticker.v1`.
///
/// Prices are on a 0.01 grid; `change` and `changePct` are measured against `prevClose`; `volume` accumulates over the
/// simulated session.
public struct Quote: Hashable, Sendable {
    public var symbol: String
    public var price: Hundredths
    public var bid: Hundredths
    public var ask: Hundredths
    public var open: Hundredths
    public var high: Hundredths
    public var low: Hundredths
    public var prevClose: Hundredths
    public var volume: Int64

    public init(
        symbol: String, price: Hundredths, bid: Hundredths, ask: Hundredths, open: Hundredths, high: Hundredths,
        low: Hundredths, prevClose: Hundredths, volume: Int64
    ) {
        self.symbol = symbol
        self.price = price
        self.bid = bid
        self.ask = ask
        self.open = open
        self.high = high
        self.low = low
        self.prevClose = prevClose
        self.volume = volume
    }

    /// `price - prevClose`.
    public var change: Hundredths { price - prevClose }

    /// The change in percent of `prevClose`, rounded to two decimals.
    public var changePct: Hundredths {
        guard prevClose.raw != 0 else { return .zero }
        return Hundredths(rounding: Double(change.raw) * 100 / Double(prevClose.raw))
    }
}
