/// The WebSocket API's `readyState`, as the browser names it.
public enum ReadyState: String, Sendable, Hashable, CaseIterable {
    /// The handshake is in progress.
    case connecting = "CONNECTING"
    /// Messages flow both ways.
    case open = "OPEN"
    /// A close frame was sent; waiting for the answer.
    case closing = "CLOSING"
    /// No connection (not yet, or any more).
    case closed = "CLOSED"
}
