import HTTPTypes

/// Who may connect: an Origin allow-list (against cross-site WebSocket hijacking), a shared token, a connection limit.
/// All off by default.
///
/// A refused WebSocket is accepted and closed at once with an application close code and a reason, because a browser
/// never sees the status of a refused handshake (its `WebSocket` only reports `error` and close 1006), while the close
/// code and reason reach `onclose`. HTTP endpoints answer with the status.
public struct AccessPolicy: Sendable, Hashable {
    /// Origins a browser may connect from (`http://localhost:3000`); empty allows any. Requests without an Origin
    /// header (command-line clients; browsers always send one) are not affected.
    public var allowedOrigins: [String] = []
    /// The token clients must present (`Authorization: Bearer TOKEN`, or `?token=TOKEN` since browsers cannot set
    /// headers on a WebSocket); nil requires none.
    public var token: String?
    /// Most WebSocket connections (and Server-Sent Event streams) at once; nil for no limit.
    public var maxConnections: Int?

    public init() {}

    /// Why a request is refused, with the close code and HTTP status that say it.
    public enum Refusal: Sendable, Hashable {
        case forbiddenOrigin(String)
        case unauthorized
        case full

        public var closeCode: UInt16 {
            switch self {
            case .forbiddenOrigin: 4403
            case .unauthorized: 4401
            case .full: 4503
            }
        }

        public var status: HTTPResponse.Status {
            switch self {
            case .forbiddenOrigin: .forbidden
            case .unauthorized: .unauthorized
            case .full: .serviceUnavailable
            }
        }

        /// The `error` of the HTTP answer's JSON.
        public var errorName: String {
            switch self {
            case .forbiddenOrigin: "forbidden_origin"
            case .unauthorized: "unauthorized"
            case .full: "server_full"
            }
        }

        public var reason: String {
            switch self {
            case .forbiddenOrigin(let origin): "origin not allowed: \(origin)"
            case .unauthorized: "missing or invalid token"
            case .full: "server full, try again later"
            }
        }
    }

    /// Checks a request's Origin and token (the connection limit is checked where connections are counted).
    func check(headers: HTTPFields, target: String?) -> Refusal? {
        check(origin: headers[.origin], authorization: headers[.authorization], target: target)
    }

    /// Checks an Origin header and an Authorization header (or the target's `?token=`).
    func check(origin: String?, authorization: String?, target: String?) -> Refusal? {
        if !allowedOrigins.isEmpty, let origin, !allowedOrigins.contains(origin) {
            return .forbiddenOrigin(origin)
        }
        guard let token else { return nil }
        let bearer = authorization.flatMap { value -> String? in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst("bearer ".count)) : nil
        }
        guard let presented = bearer ?? Self.queryToken(target), Self.constantTimeEquals(presented, token) else {
            return .unauthorized
        }
        return nil
    }

    /// The `token` query parameter of a request target (`/ws?token=...`), percent-decoded.
    static func queryToken(_ target: String?) -> String? {
        guard let target, let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first == "token" { return parts.count > 1 ? percentDecoded(parts[1]) : "" }
        }
        return nil
    }

    /// Compares without leaking, through timing, how much of the token a guess got right.
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    /// `%41` -> `A`: enough for tokens in a query string.
    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
