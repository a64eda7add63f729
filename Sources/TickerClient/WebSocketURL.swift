/// A parsed `ws://host:port/path?query` address.
public struct WebSocketURL: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Path and query, as sent in the request line (`/ws?token=...`).
    public var target: String
    /// `wss://`: the connection runs over TLS.
    public var secure: Bool

    /// Parses `ws://` or `wss://` (TLS) `text`.
    public init(_ text: String) throws(WebSocketURLError) {
        let secure = text.hasPrefix("wss://")
        guard secure || text.hasPrefix("ws://") else {
            throw WebSocketURLError(
                message: "\"\(text)\" is not a ws:// or wss:// URL (example: ws://127.0.0.1:8080/ws)")
        }
        self.secure = secure
        let rest = text.dropFirst(secure ? "wss://".count : "ws://".count)
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" })
        var target = String(rest.dropFirst(authority.count))
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        var host = String(authority)
        var port = secure ? 443 : 80
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw WebSocketURLError(message: "bad IPv6 host in \"\(text)\"") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let parsed = Int(after.dropFirst()), (1...65535).contains(parsed) else {
                    throw WebSocketURLError(message: "bad port in \"\(text)\"")
                }
                port = parsed
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let parsed = Int(host[host.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw WebSocketURLError(message: "bad port in \"\(text)\"")
            }
            port = parsed
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw WebSocketURLError(message: "no host in \"\(text)\"") }
        self.host = host
        self.port = port
        self.target = target
    }

    /// The value of the `Host` header.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    public var description: String { "\(secure ? "wss" : "ws")://\(hostHeader)\(target)" }
}

/// Why a URL could not be used.
public struct WebSocketURLError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
