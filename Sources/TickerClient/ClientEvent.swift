import TickerCore

/// What the feed client reports, in order: the WebSocket API's four events (open, message, error, close) plus the
/// client's own reconnection steps.
public enum ClientEvent: Sendable, Hashable {
    /// A connection attempt started (`readyState` CONNECTING). `attempt` is 0 for the first, then counts retries.
    case connecting(attempt: Int)
    /// The handshake succeeded (`readyState` OPEN).
    case open(protocol: String?, handshake: Handshake)
    /// A server message, with the client's receive time (microseconds since the epoch), its size in bytes, and the
    /// bytes its payload took on the wire (fewer when it came compressed).
    case message(ServerMessage, receivedAt: Int64, bytes: Int, wireBytes: Int)
    /// Something went wrong without ending the client: a failed attempt, or a server message it could not parse.
    case error(String)
    /// The connection ended (`readyState` CLOSED); code nil means it dropped without a close frame (1006).
    case close(code: Int?, reason: String, wasClean: Bool)
    /// The next attempt will start after `delay`.
    case reconnectScheduled(attempt: Int, delay: Duration)
    /// A frame passed, either way (only with ``FeedClient/Configuration/tapFrames``).
    case frame(FrameRecord)
}
