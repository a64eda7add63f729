/// Names fixed by the `ticker.v1` contract (docs/PROTOCOL.md).
public enum TickerProtocol {
    /// The WebSocket subprotocol the server speaks and echoes.
    public static let name = "ticker.v1"
    /// The WebSocket endpoint's path.
    public static let path = "/ws"
    /// The subscription wildcard: every symbol of the universe.
    public static let wildcard = "*"
}

/// The `code` of an `error` message.
public enum ErrorCode: String, Sendable, Hashable, CaseIterable {
    /// Not JSON, or JSON of the wrong shape.
    case badMessage = "bad_message"
    /// A `type` the server does not know.
    case unknownType = "unknown_type"
    /// Symbols that are not part of the universe (listed in the message's `symbols`).
    case unknownSymbol = "unknown_symbol"
    /// Too many client messages per second; the connection is closed with 1008 next.
    case rateLimited = "rate_limited"
    /// A `subscribe` that would exceed the server's per-connection subscription limit; nothing changed.
    case tooManySubscriptions = "too_many_subscriptions"
}

/// The `id` of a client `ping`, echoed in the `pong`: a number or a string, as the client chose.
public enum PingID: Hashable, Sendable {
    case number(Int64)
    case string(String)
}
