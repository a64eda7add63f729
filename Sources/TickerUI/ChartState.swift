import TickerCore

/// The detail view of one symbol: its price history (fetched from `GET /api/history` when the view opens, then
/// extended by every pushed tick) and how it is shown.
public struct ChartState: Sendable, Hashable {
    /// The time frames `+` and `-` step through, in seconds.
    public static let timeFrames = [15, 30, 60, 120, 300, 600]
    /// Points kept per chart: more than the longest time frame holds on the default feed.
    public static let pointLimit = 10_000

    /// Where the fetched history stands.
    public enum HistoryStatus: Sendable, Hashable {
        case loading
        case loaded(points: Int)
        case failed(String)
    }

    public var symbol: String
    /// The symbol's changes, oldest first, by `seq` (no two with the same one).
    public private(set) var points: [PriceHistory.Point] = []
    public var history = HistoryStatus.loading
    /// OHLC candles instead of the line (`c`).
    public var candles = false
    /// The position in ``timeFrames`` (`+` zooms in, `-` out).
    public var timeFrameIndex = 2

    public init(symbol: String, candles: Bool = false, timeFrameIndex: Int = 2) {
        self.symbol = symbol
        self.candles = candles
        self.timeFrameIndex = min(max(0, timeFrameIndex), Self.timeFrames.count - 1)
    }

    /// The width of the chart in time.
    public var timeFrameMicroseconds: Int64 { Int64(Self.timeFrames[timeFrameIndex]) * 1_000_000 }

    /// A pushed tick's point; one not newer than the last is ignored.
    public mutating func append(_ point: PriceHistory.Point) {
        if let last = points.last, point.seq <= last.seq { return }
        points.append(point)
        if points.count > Self.pointLimit { points.removeFirst(points.count - Self.pointLimit) }
    }

    /// Merges fetched history with what was pushed meanwhile (a point of the same `seq` is the same change).
    public mutating func merge(history fetched: [PriceHistory.Point]) {
        var bySeq: [UInt64: PriceHistory.Point] = [:]
        for point in fetched + points { bySeq[point.seq] = point }
        points = Array(bySeq.values.sorted { $0.seq < $1.seq }.suffix(Self.pointLimit))
        history = .loaded(points: fetched.count)
    }
}
