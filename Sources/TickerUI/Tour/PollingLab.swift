/// Chapter 1's live accounting: the answers of `GET /api/quotes` on a timer, measured against what a push connection
/// to the same symbols saw (every change, with its seq).
///
/// A poll answered at seq P after one at seq P₀ saw, for each symbol, only the last of the changes in (P₀, P]; the
/// others were never seen. An answer after which no symbol changed brought nothing new. Polls are settled once the
/// push side has reached their seq, so the count never depends on which of the two arrived first.
public struct PollingLab: Sendable, Hashable {
    /// One answered poll.
    public struct Answer: Sendable, Hashable {
        public var seq: UInt64
        public var status: Int
        public var bytesUp: Int
        public var bytesDown: Int
        public var elapsedMicroseconds: Int64
        public var intervalMilliseconds: Int

        public init(seq: UInt64, status: Int, bytesUp: Int, bytesDown: Int, elapsedMicroseconds: Int64, intervalMilliseconds: Int) {
            self.seq = seq
            self.status = status
            self.bytesUp = bytesUp
            self.bytesDown = bytesDown
            self.elapsedMicroseconds = elapsedMicroseconds
            self.intervalMilliseconds = intervalMilliseconds
        }
    }

    private struct Change: Sendable, Hashable {
        var seq: UInt64
        var symbols: [String]
    }

    /// The request path (with the polled symbols).
    public var path = ""
    /// The current timer; the feed's tick interval once known.
    public var intervalMilliseconds = 0
    public var tickMilliseconds: Int?
    public var requests = 0
    public var bytesUp = 0
    public var bytesDown = 0
    /// Answers that repeated the previous one (nothing changed in between).
    public var nothingNew = 0
    /// Changes the poll saw (the last one of each symbol between two polls).
    public var changesSeen = 0
    /// Changes that came and went between two polls.
    public var changesNeverSeen = 0
    /// Polls settled at a timer slower than the feed's ticks.
    public var slowPolls = 0
    public var log: [String] = []
    public var failure: String?

    /// The push side's changes not yet accounted: seq → symbols changed in that tick.
    private var pushChanges: [Change] = []
    private var pushSeq: UInt64?
    private var pending: [Answer] = []
    private var settledSeq: UInt64?

    public init() {}

    /// The push connection's starting point (its snapshot's seq).
    public mutating func pushStarted(at seq: UInt64) {
        if pushSeq == nil { pushSeq = seq }
        settle()
    }

    /// A tick the push connection received, with the polled symbols it changed.
    public mutating func pushed(seq: UInt64, changed symbols: [String]) {
        pushSeq = max(pushSeq ?? seq, seq)
        if !symbols.isEmpty { pushChanges.append(Change(seq: seq, symbols: symbols)) }
        settle()
    }

    /// A poll's answer.
    public mutating func answered(_ answer: Answer) {
        requests += 1
        bytesUp += answer.bytesUp
        bytesDown += answer.bytesDown
        pending.append(answer)
        settle()
    }

    /// A poll that failed (the line says why; the timer goes on).
    public mutating func failed(_ reason: String) {
        requests += 1
        append("GET failed: \(reason)")
    }

    private mutating func settle() {
        guard let pushSeq else { return }
        while let answer = pending.first, answer.seq <= pushSeq {
            pending.removeFirst()
            let traffic =
                "\(Formatting.grouped(answer.bytesUp)) B up, \(Formatting.grouped(answer.bytesDown)) B down, "
                + Formatting.duration(microseconds: answer.elapsedMicroseconds)
            guard let previous = settledSeq else {
                settledSeq = answer.seq
                pushChanges.removeAll { $0.seq <= answer.seq }
                append("GET → \(answer.status) seq \(answer.seq): the starting state (\(traffic))")
                continue
            }
            guard answer.seq >= previous else { continue }
            var perSymbol: [String: Int] = [:]
            for change in pushChanges where change.seq > previous && change.seq <= answer.seq {
                for symbol in change.symbols { perSymbol[symbol, default: 0] += 1 }
            }
            pushChanges.removeAll { $0.seq <= answer.seq }
            settledSeq = answer.seq
            let seen = perSymbol.count
            let missed = perSymbol.values.reduce(0) { $0 + $1 - 1 }
            changesSeen += seen
            changesNeverSeen += missed
            if let tick = tickMilliseconds, answer.intervalMilliseconds > tick { slowPolls += 1 }
            let verdict: String
            if seen == 0 {
                nothingNew += 1
                verdict = "nothing new"
            } else {
                verdict = "\(seen) changed" + (missed > 0 ? ", \(missed) change(s) never seen" : "")
            }
            append("GET → \(answer.status) seq \(answer.seq) (+\(answer.seq - previous) ticks): \(verdict) (\(traffic))")
        }
    }

    private mutating func append(_ line: String) {
        log.append(line)
        if log.count > 100 { log.removeFirst(log.count - 100) }
    }
}
