/// What arrives on a WebSocket connection, in order; `.closed` is always last.
public enum WebSocketEvent: Sendable, Hashable {
    /// A complete text message, and the bytes its payload took on the wire (fewer than the text's when it came
    /// compressed, `permessage-deflate`).
    case text(String, wireBytes: Int)
    /// A complete binary message.
    case binary([UInt8])
    /// The connection ended: the close frame's code and reason, or code nil (1006 "abnormal") when TCP ended without one.
    case closed(code: Int?, reason: String)
}

/// Why `WebSocketConnection.connect` failed.
public enum WebSocketConnectError: Error, CustomStringConvertible, Sendable {
    /// The server answered the upgrade with something other than 101.
    case refused(status: Int, reason: String, body: String, handshake: Handshake)
    /// No TCP connection could be made.
    case unreachable(host: String, port: Int, underlying: String)

    public var description: String {
        switch self {
        case .refused(let status, let reason, let body, _):
            let detail = body.isEmpty ? "" : ": \(body)"
            return "the server refused the WebSocket handshake with HTTP \(status) \(reason)\(detail)"
        case .unreachable(let host, let port, let underlying):
            return "cannot connect to \(host):\(port) (\(underlying))"
        }
    }
}
