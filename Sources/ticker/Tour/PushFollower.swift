import Foundation
import TickerClient
import TickerCore

/// The push side chapters 1 and 2 measure against: a plain WebSocket subscribed to the polled symbols, which sees
/// every change. Uncompressed, so its bytes are the payload's.
struct PushFollower {
    /// The first `count` symbols of the server's universe, the tick interval and the connection, once subscribed.
    let connection: WebSocketConnection
    let symbols: [String]
    let tickMilliseconds: Int

    static let symbolCount = 5

    static func connect(to url: WebSocketURL) async throws -> PushFollower {
        let connection = try await WebSocketConnection.connect(to: url, compression: false)
        for await event in connection.events {
            guard case .text(let text, _) = event else { continue }
            if case .welcome(let universe, let tick, _, _, _, _) = try ServerMessage.decode(Data(text.utf8)) {
                let symbols = Array(universe.prefix(symbolCount).map(\.symbol))
                connection.send(ClientMessage.subscribe(symbols: symbols).jsonText)
                return PushFollower(connection: connection, symbols: symbols, tickMilliseconds: tick)
            }
        }
        throw WebSocketConnectError.unreachable(host: url.host, port: url.port, underlying: "the server closed before its welcome")
    }

    /// Reports the snapshot's seq, then every `quotes` frame (its seq, the symbols it changed, its bytes), until the
    /// connection ends or the task is cancelled.
    func follow(snapshot: (UInt64) -> Void, quotes: (UInt64, [String], Int) -> Void) async {
        await withTaskCancellationHandler {
            for await event in connection.events {
                guard case .text(let text, _) = event else { continue }
                switch try? ServerMessage.decode(Data(text.utf8)) {
                case .snapshot(let seq, _, _, _, _)?: snapshot(seq)
                case .quotes(let seq, _, let changed, _, _)?: quotes(seq, changed.map(\.symbol), text.utf8.count)
                default: break
                }
            }
        } onCancel: {
            connection.close()
        }
    }
}
