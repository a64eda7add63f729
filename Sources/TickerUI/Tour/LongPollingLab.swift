/// Chapter 2's live accounting: hanging `GET /api/quotes/poll?since=SEQ` requests, each waiting until the feed moves,
/// answered, and reissued at once; what each update costs, against the same update pushed as a WebSocket frame.
public struct LongPollingLab: Sendable, Hashable {
    public var path = ""
    /// The request waiting now: since which seq (nil when none is), and since when (µs since the epoch).
    public var waitingSince: UInt64?
    public var waitingIssuedAt: Int64 = 0
    public var requests = 0
    /// Answers that carried quotes.
    public var updates = 0
    /// Answers that timed out with 204.
    public var timeouts = 0
    /// Answers issued again within a moment of the previous answer (the chain never breaks).
    public var reissued = 0
    /// Ticks folded into an answer because they happened while the next request was on its way.
    public var folded = 0
    public var bytesUp = 0
    public var bytesDown = 0
    public var totalWaitMicroseconds: Int64 = 0
    /// The same symbols' ticks as pushed frames: their count and payload bytes.
    public var pushFrames = 0
    public var pushBytes = 0
    public var log: [String] = []
    private var lastAnsweredAt: Int64?

    public init() {}

    /// A request went out.
    public mutating func issued(since: UInt64, at time: Int64) {
        requests += 1
        if let last = lastAnsweredAt, time - last < 100_000 { reissued += 1 }
        waitingSince = since
        waitingIssuedAt = time
        append("GET since=\(since) … waiting")
    }

    /// Its answer: `seq` nil for a 204 (the wait timed out with nothing new).
    public mutating func answered(status: Int, seq: UInt64?, bytesUp up: Int, bytesDown down: Int, at time: Int64) {
        let since = waitingSince ?? 0
        let waited = time - waitingIssuedAt
        waitingSince = nil
        lastAnsweredAt = time
        bytesUp += up
        bytesDown += down
        totalWaitMicroseconds += max(0, waited)
        let traffic = "\(Formatting.grouped(up)) B up, \(Formatting.grouped(down)) B down"
        if let seq {
            updates += 1
            let extra = seq > since + 1 ? Int(seq - since - 1) : 0
            folded += extra
            let foldedText = extra > 0 ? ", \(extra) tick(s) folded in" : ""
            append("   → \(status) after \(Formatting.duration(microseconds: max(0, waited))): seq \(seq)\(foldedText) (\(traffic))")
        } else {
            timeouts += 1
            append("   → \(status) after \(Formatting.duration(microseconds: max(0, waited))): nothing changed (\(traffic))")
        }
    }

    /// A request that failed.
    public mutating func failed(_ reason: String) {
        waitingSince = nil
        append("   → failed: \(reason)")
    }

    /// A frame the push connection received for the same symbols.
    public mutating func pushed(bytes: Int) {
        pushFrames += 1
        pushBytes += bytes
    }

    /// Bytes per update, both ways, by long polling; nil before the first update.
    public var bytesPerUpdate: Int? { updates > 0 ? (bytesUp + bytesDown) / updates : nil }

    /// Payload bytes per pushed frame; nil before the first.
    public var bytesPerPush: Int? { pushFrames > 0 ? pushBytes / pushFrames : nil }

    private mutating func append(_ line: String) {
        log.append(line)
        if log.count > 100 { log.removeFirst(log.count - 100) }
    }
}
