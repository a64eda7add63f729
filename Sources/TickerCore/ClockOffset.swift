/// How far the server's clock is from the client's, estimated NTP-style from `ping`/`pong` round trips: a ping sent at
/// client time `t0` is answered with the server's time `ts` and received at `t3`; if the server answered half-way,
/// `offset = ts - (t0 + t3) / 2`, wrong by at most half the round trip `t3 - t0`. The estimate is taken from the
/// recent sample with the shortest round trip, the one that bounds the error best.
public struct ClockOffset: Sendable, Hashable {
    /// Round trips kept (the most recent ones).
    public static let window = 16

    /// One round trip: the server's clock minus the client's, and how long the round trip took (µs).
    public struct Sample: Sendable, Hashable {
        public var offset: Int64
        public var roundTrip: Int64
    }

    private var samples: [Sample] = []

    public init() {}

    /// A `pong` carrying the server's `ts`, for a ping sent at `sentAt` and answered at `receivedAt` (client µs).
    public mutating func record(sentAt: Int64, serverTime: Int64, receivedAt: Int64) {
        guard receivedAt >= sentAt else { return }
        samples.append(Sample(offset: serverTime - (sentAt + receivedAt) / 2, roundTrip: receivedAt - sentAt))
        if samples.count > Self.window { samples.removeFirst(samples.count - Self.window) }
    }

    /// The sample with the shortest round trip; nil before the first pong.
    public var best: Sample? { samples.min { $0.roundTrip < $1.roundTrip } }

    /// The server's clock minus the client's (µs); 0 until measured.
    public var offset: Int64 { best?.offset ?? 0 }

    /// How long a tick took from the server to the client: `receivedAt - ts` in one clock, never negative.
    public func latency(receivedAt: Int64, serverTimestamp ts: Int64) -> Int64 {
        max(0, receivedAt - ts + offset)
    }
}
