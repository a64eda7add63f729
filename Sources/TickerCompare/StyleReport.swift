import Histogram

/// What one client style achieved in a comparison.
public struct StyleReport: Sendable, Hashable, Codable {
    public var style: String
    /// Quotes the client received, repeats included (short polling re-sends unchanged quotes).
    public var quotesReceived: Int
    /// Distinct changes of watched symbols the client saw (each tick that changed a symbol counts once).
    public var updatesSeen: Int
    /// Changes in the window the client never saw.
    public var updatesMissed: Int
    /// Changes in the window (the feed's truth).
    public var updatesInWindow: Int
    /// From a change's tick `ts` to the client first seeing it, in milliseconds.
    public var stalenessP50Ms: Double
    public var stalenessP99Ms: Double
    public var stalenessMaxMs: Double
    /// HTTP requests made, or WebSocket frames / SSE events received.
    public var requests: Int
    public var requestsLabel: String
    /// Measured by the counting proxy, headers and framing included.
    public var bytesUp: Int
    public var bytesDown: Int

    /// Bytes (both directions) per change seen.
    public var bytesPerUpdate: Double
    /// Requests (or frames) per change seen.
    public var requestsPerUpdate: Double

    /// Accounts `observations` against the feed's truth within `window` (tick seqs).
    public static func account(
        style: String, observations: [Observation], record: FeedRecord, window: ClosedRange<UInt64>, requests: Int,
        requestsLabel: String, bytesUp: Int, bytesDown: Int
    ) -> StyleReport {
        let truth = record.changes(in: window)
        var firstSeen: [SymbolChange: Int64] = [:]
        for observation in observations {
            let seq: UInt64?
            if observation.exact {
                seq = observation.seq
            } else {
                seq = record.change(of: observation.symbol, asOf: observation.seq)?.seq
            }
            guard let seq else { continue }
            let change = SymbolChange(symbol: observation.symbol, seq: seq)
            guard truth.contains(change) else { continue }
            firstSeen[change] = min(firstSeen[change] ?? .max, observation.seenAt)
        }
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        var tsByChange: [SymbolChange: Int64] = [:]
        for (symbol, list) in record.changes {
            for change in list { tsByChange[SymbolChange(symbol: symbol, seq: change.seq)] = change.ts }
        }
        for (change, seenAt) in firstSeen {
            guard let ts = tsByChange[change] else { continue }
            histogram.record(UInt64(max(0, seenAt - ts)))
        }
        let empty = firstSeen.isEmpty
        return StyleReport(
            style: style, quotesReceived: observations.count, updatesSeen: firstSeen.count,
            updatesMissed: truth.count - firstSeen.count, updatesInWindow: truth.count,
            stalenessP50Ms: empty ? 0 : Double(histogram.valueAtPercentile(50)) / 1000,
            stalenessP99Ms: empty ? 0 : Double(histogram.valueAtPercentile(99)) / 1000,
            stalenessMaxMs: empty ? 0 : Double(histogram.max) / 1000, requests: requests, requestsLabel: requestsLabel,
            bytesUp: bytesUp, bytesDown: bytesDown,
            bytesPerUpdate: empty ? 0 : Double(bytesUp + bytesDown) / Double(firstSeen.count),
            requestsPerUpdate: empty ? 0 : Double(requests) / Double(firstSeen.count))
    }
}
