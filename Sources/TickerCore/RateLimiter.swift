/// Counts a client's messages in one-second windows and says when it sent more than its allowance.
public struct RateLimiter: Sendable {
    /// Messages allowed per window.
    public let limit: Int
    /// Window length in nanoseconds.
    public let window: UInt64
    private var windowStart: UInt64 = 0
    private var count = 0

    public init(messagesPerSecond limit: Int, windowNanoseconds: UInt64 = 1_000_000_000) {
        self.limit = limit
        self.window = windowNanoseconds
    }

    /// Records a message at `now` (monotonic nanoseconds); false when it is over the limit.
    public mutating func allow(now: UInt64) -> Bool {
        if count == 0 || now &- windowStart >= window {
            windowStart = now
            count = 0
        }
        count += 1
        return count <= limit
    }
}
