import Foundation
import TickerCore

/// Decides a WebSocket opening handshake (RFC 6455 §4.2.1), before any answer is written.
///
/// - The request must be a `GET` over HTTP/1.1 or later with a `Host`, at `/ws`: otherwise 400.
/// - `Sec-WebSocket-Version` must be `13`: another version gets `426 Upgrade Required` with
///   `Sec-WebSocket-Version: 13` (§4.4); none at all is a 400.
/// - `Sec-WebSocket-Key` must be the base64 of 16 bytes (§4.1): otherwise 400.
/// - `ticker.v1` is echoed when offered; no subprotocol at all is accepted too; offering only other subprotocols is a
///   400 (neither side would understand the other).
/// - `permessage-deflate` is agreed when offered (``PerMessageDeflate``), unless `--compression off`.
/// - The access policy (Origin, token) does not refuse the handshake: a browser cannot read a refused handshake's
///   status, so such a client gets its 101 and then a close frame with 4403 or 4401 and the reason.
enum HandshakePolicy {
    /// What the handshake asked for, as the HTTP decoder read it.
    struct Request {
        var method: String
        var majorVersion: Int
        var minorVersion: Int
        /// The request target (path and query).
        var target: String
        /// Header fields in order, names as sent.
        var headers: [(name: String, value: String)]

        /// Every value of `name` (case-insensitive), comma-separated lists split, blanks dropped.
        func listValues(_ name: String) -> [String] {
            values(name).flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        /// Every field named `name` (case-insensitive), as sent.
        func values(_ name: String) -> [String] {
            headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
        }
    }

    enum Decision {
        /// Upgrade, adding `headers` to the 101; `refusal` closes the connection right after it; `compression` is the
        /// `permessage-deflate` agreed, if any.
        case accept(headers: [(String, String)], refusal: AccessPolicy.Refusal?, compression: PerMessageDeflate.Agreement?)
        case refuse(HandshakeRefusal)
    }

    static func decide(_ request: Request, access: AccessPolicy, compression: Bool) -> Decision {
        let route = String(request.target.prefix(while: { $0 != "?" }))
        guard route == TickerProtocol.path else {
            return .refuse(.badRequest("WebSocket upgrades are served at \(TickerProtocol.path), not \(route)"))
        }
        guard request.method == "GET" else { return .refuse(.badRequest("a WebSocket handshake is a GET, not \(request.method)")) }
        guard request.majorVersion > 1 || (request.majorVersion == 1 && request.minorVersion >= 1) else {
            return .refuse(.badRequest("a WebSocket handshake needs HTTP/1.1"))
        }
        guard request.values("Host").count == 1 else { return .refuse(.badRequest("a WebSocket handshake needs one Host header")) }
        let versions = request.values("Sec-WebSocket-Version")
        guard !versions.isEmpty else { return .refuse(.badRequest("Sec-WebSocket-Version is missing (this server speaks 13)")) }
        guard versions == ["13"] else { return .refuse(.unsupportedVersion(versions.joined(separator: ", "))) }
        let keys = request.values("Sec-WebSocket-Key")
        guard keys.count == 1, let key = keys.first, Data(base64Encoded: key)?.count == 16 else {
            return .refuse(
                .badRequest("Sec-WebSocket-Key must be one base64 value of 16 bytes, got \(keys.map { "\"\($0)\"" }.joined(separator: ", "))"))
        }
        var headers: [(String, String)] = []
        let offered = request.listValues("Sec-WebSocket-Protocol")
        if !offered.isEmpty {
            guard offered.contains(TickerProtocol.name) else {
                return .refuse(.badRequest("unsupported subprotocol(s) \(offered.joined(separator: ", "))"))
            }
            headers.append(("Sec-WebSocket-Protocol", TickerProtocol.name))
        }
        // permessage-deflate when offered (and not switched off): the first acceptable offer, answered with no context
        // takeover either way; an offer the server cannot honour is declined and the connection is plain.
        let agreement = compression ? PerMessageDeflate.negotiate(request.values("Sec-WebSocket-Extensions")) : nil
        if let agreement { headers.append(("Sec-WebSocket-Extensions", agreement.responseHeader)) }
        let refusal = access.check(
            origin: request.values("Origin").first, authorization: request.values("Authorization").first, target: request.target)
        return .accept(headers: headers, refusal: refusal, compression: agreement)
    }
}

/// A handshake answered with an HTTP error instead of `101`: the status, why, and a JSON body that names the endpoint
/// and the subprotocol, so a client (or a learner with curl) sees what to change.
struct HandshakeRefusal: Sendable, Hashable {
    var status: Int
    var message: String
    /// Header fields the answer carries besides the body's.
    var headers: [String: String] = [:]

    static func badRequest(_ message: String) -> HandshakeRefusal {
        HandshakeRefusal(status: 400, message: message)
    }

    /// RFC 6455 §4.4: a version the server does not speak.
    static func unsupportedVersion(_ offered: String) -> HandshakeRefusal {
        HandshakeRefusal(
            status: 426, message: "Sec-WebSocket-Version \(offered) is not supported; this server speaks 13",
            headers: ["Sec-WebSocket-Version": "13"])
    }

    /// `{"error":"upgrade_refused","message":...,"path":"/ws","supportedProtocols":["ticker.v1"]}`
    var body: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string("upgrade_refused")
        writer.key("message")
        writer.string(message)
        writer.key("path")
        writer.string(TickerProtocol.path)
        writer.key("supportedProtocols")
        writer.beginArray()
        writer.string(TickerProtocol.name)
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
