import Foundation
import TickerCore

/// Decides a WebSocket handshake: the path must be `/ws`; the subprotocol `ticker.v1` is echoed when offered; no
/// subprotocol at all is accepted too; offering only other subprotocols is refused (neither side would understand
/// the other).
enum HandshakePolicy {
    enum Decision: Equatable {
        case accept(echoProtocol: Bool)
        case refuse(reason: String)
    }

    static func decide(path: String?, offeredProtocols: [String]) -> Decision {
        let route = path.map { String($0.prefix(while: { $0 != "?" })) }
        guard route == TickerProtocol.path else {
            return .refuse(reason: "WebSocket upgrades are served at \(TickerProtocol.path)")
        }
        let offered = offeredProtocols.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        if offered.isEmpty { return .accept(echoProtocol: false) }
        if offered.contains(TickerProtocol.name) { return .accept(echoProtocol: true) }
        return .refuse(reason: "unsupported subprotocol(s) \(offered.joined(separator: ", "))")
    }
}
