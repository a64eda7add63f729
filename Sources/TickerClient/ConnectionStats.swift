import TickerCore

/// The per-connection figures a learner watches: messages per second, tick-to-client latency, the feed position,
/// conflation and reconnections. Pure; fed with receive times by the caller.
public struct ConnectionStats: Sendable, Hashable {
    /// How many latency samples the percentiles cover (the most recent ones).
    public static let latencyWindow = 512

    /// The last `seq` seen in a snapshot, quotes or heartbeat.
    public private(set) var lastSeq: UInt64 = 0
    /// Ticks the server folded into conflated frames for this client, in total.
    public private(set) var conflatedTicks = 0
    /// Connections opened after the first.
    public private(set) var reconnects = 0
    public private(set) var messagesReceived = 0
    public private(set) var bytesReceived = 0
    /// What those messages took on the wire: fewer bytes than `bytesReceived` when they came compressed.
    public private(set) var wireBytesReceived = 0
    /// The server's clock against ours, from the feed client's pings: latencies are corrected by it.
    public private(set) var clock = ClockOffset()
    private var opens = 0
    private var recentArrivals: [Int64] = []
    private var latencies: [Int64] = []
    private var latencyCursor = 0

    public init() {}

    /// Counts a connection's opening.
    public mutating func recordOpen() {
        opens += 1
        reconnects = max(0, opens - 1)
    }

    /// Counts a message received at `receivedAt` (µs); `feedTimestamp` is its `ts` when it has one.
    public mutating func recordMessage(_ message: ServerMessage, receivedAt: Int64, bytes: Int, wireBytes: Int) {
        messagesReceived += 1
        bytesReceived += bytes
        wireBytesReceived += wireBytes
        recentArrivals.append(receivedAt)
        if recentArrivals.count > 4096 || (recentArrivals.first.map { receivedAt - $0 > 2_000_000 } ?? false) {
            recentArrivals.removeAll { receivedAt - $0 > 1_000_000 }
        }
        switch message {
        case .quotes(let seq, let ts, _, let conflated, _):
            lastSeq = max(lastSeq, seq)
            conflatedTicks += conflated ?? 0
            recordLatency(receivedAt - ts)
        case .snapshot(let seq, _, _, _, let resumed):
            // A refused resume starts over in another history (a new epoch), where seq started again at 1.
            lastSeq = resumed == false ? seq : max(lastSeq, seq)
        case .heartbeat(let seq, _):
            lastSeq = max(lastSeq, seq)
        case .pong(.number(let sentAt)?, let ts):
            // The feed client's pings carry their send time as the id.
            clock.record(sentAt: sentAt, serverTime: ts, receivedAt: receivedAt)
        default:
            break
        }
    }

    private mutating func recordLatency(_ microseconds: Int64) {
        if latencies.count < Self.latencyWindow {
            latencies.append(microseconds)
        } else {
            latencies[latencyCursor] = microseconds
        }
        latencyCursor = (latencyCursor + 1) % Self.latencyWindow
    }

    /// How many times smaller the messages were on the wire (`permessage-deflate`); nil when nothing came compressed.
    public var compressionRatio: Double? {
        guard wireBytesReceived > 0, wireBytesReceived < bytesReceived else { return nil }
        return Double(bytesReceived) / Double(wireBytesReceived)
    }

    /// Messages received in the second before `now` (µs).
    public func messagesPerSecond(now: Int64) -> Int {
        recentArrivals.reduce(0) { $0 + (now - $1 < 1_000_000 && $1 <= now ? 1 : 0) }
    }

    /// The latency percentile `p` (0...1) over the recent window, in microseconds; nil before any quotes. The samples
    /// are `receivedAt - ts` as measured; the server's clock offset (``clock``) is applied here, so a better estimate
    /// corrects the whole window, and the result is never negative.
    public func latency(percentile p: Double) -> Int64? {
        guard !latencies.isEmpty else { return nil }
        let sorted = latencies.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return max(0, sorted[min(max(rank, 0), sorted.count - 1)] + clock.offset)
    }
}
