/// Exponential backoff with jitter for reconnecting: about 0.5 s, 1 s, 2 s, ... up to about 10 s, each delay scaled by
/// a random factor in 0.8...1.2 so that many clients dropped at once do not return at once.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var jitter: Double

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(10), jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay before retry number `attempt` (1 = the first retry).
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let base = min(initial * (1 << exponent), maximum)
        let factor = 1 + Double.random(in: -jitter...jitter, using: &generator)
        return base * factor
    }
}
