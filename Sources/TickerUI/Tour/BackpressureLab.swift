/// Chapter 7's live state: a reader that stops reading beside a healthy client, and what the server does about it,
/// from the reader's frames and the server's own metrics.
public struct BackpressureLab: Sendable, Hashable {
    /// What the stalled reader is doing.
    public enum Phase: String, Sendable, Hashable {
        case connecting = "connecting"
        case reading = "reading"
        case stalled = "not reading"
        case stalledForGood = "not reading, for good"
        case closed = "closed"
    }

    /// What the lab's runner reports.
    public enum Event: Sendable, Hashable {
        case phase(Phase)
        /// A `quotes` frame the stalled reader read once it read again.
        case readerFrame(seq: UInt64, conflated: Int?, bytes: Int)
        case readerClosed(code: Int, reason: String)
        /// A frame of the healthy client beside it: `gap` when its seq was not the previous one's plus one.
        case healthyFrame(seq: UInt64, gap: Bool, conflated: Bool)
        /// The server's metrics: connections behind, ticks conflated and slow consumers closed, so far.
        case serverMetrics(behind: Int, conflatedTicks: Int, slowConsumersClosed: Int)
        case failed(String)
    }

    public var phase = Phase.connecting
    public var readerFrames = 0
    public var readerLastSeq: UInt64?
    /// The folded frames the reader got: seq and K.
    public var conflatedFrames: [String] = []
    public var largestConflated = 0
    public var readerClose: String?
    public var readerCloseCode: Int?
    public var healthyFrames = 0
    public var healthyLastSeq: UInt64?
    public var healthyGaps = 0
    public var healthyConflated = 0
    public var behind = 0
    public var serverConflatedTicks = 0
    public var slowConsumersClosed = 0
    public var log: [String] = []

    public init() {}

    public mutating func apply(_ event: Event, now: Int64) {
        let time = Formatting.clock(microseconds: now)
        switch event {
        case .phase(let phase):
            self.phase = phase
            log.append("\(time)  reader: \(phase.rawValue)")
        case .readerFrame(let seq, let conflated, let bytes):
            readerFrames += 1
            readerLastSeq = seq
            if let conflated {
                largestConflated = max(largestConflated, conflated)
                let line = "seq \(seq): \"conflated\":\(conflated) in one frame of \(Formatting.grouped(bytes)) B"
                conflatedFrames.append(line)
                log.append("\(time)  reader ← \(line)")
            }
        case .readerClosed(let code, let reason):
            phase = .closed
            readerCloseCode = code
            readerClose = "\(code)\(reason.isEmpty ? "" : " \(reason)")"
            log.append("\(time)  reader ← close \(code) \(reason)")
        case .healthyFrame(let seq, let gap, let conflated):
            healthyFrames += 1
            healthyLastSeq = seq
            if gap { healthyGaps += 1 }
            if conflated { healthyConflated += 1 }
        case .serverMetrics(let behind, let conflatedTicks, let slowConsumersClosed):
            if behind != self.behind { log.append("\(time)  server: \(behind) connection(s) behind") }
            if slowConsumersClosed != self.slowConsumersClosed {
                log.append("\(time)  server: slow consumers closed \(self.slowConsumersClosed) → \(slowConsumersClosed)")
            }
            self.behind = behind
            serverConflatedTicks = conflatedTicks
            self.slowConsumersClosed = slowConsumersClosed
        case .failed(let reason):
            log.append("\(time)  failed: \(reason)")
        }
        if log.count > 100 { log.removeFirst(log.count - 100) }
    }
}
