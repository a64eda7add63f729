import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import TickerCore

/// Runs one upgraded WebSocket: reads and handles client messages until the connection ends. Frames are written by the
/// connection on its event loop; the close frame by a task started when a close is due.
///
/// The reader must run even when a client sends nothing: ping, pong and close frames are only processed while
/// `inbound` is iterated (see `../shared/notes/swift-stack.md`, finding 1).
struct WebSocketSession {
    let fanOut: FanOut
    let channel: any Channel
    let logger: Logger

    /// Runs the session, or, when the access policy refused the handshake, closes at once saying why.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, refusal: AccessPolicy.Refusal?) async {
        let stats = fanOut.metrics.stats
        stats.sessions.add(1, ordering: .relaxed)
        defer { stats.sessions.subtract(1, ordering: .relaxed) }
        if let refusal {
            await refuse(refusal, inbound: inbound, outbound: outbound)
            return
        }
        let connection: ClientConnection
        switch fanOut.register(channel: channel) {
        case .registered(let registered):
            connection = registered
            connection.watchPeer()
        case .full:
            await refuse(.full, inbound: inbound, outbound: outbound)
            return
        case .shuttingDown:
            try? await outbound.close(.goingAway, reason: "server shutting down")
            return
        }
        // The close frame goes through hummingbird's writer, from a task started only when a close is due.
        let closing = Mutex<Task<Int, Never>?>(nil)
        let logger = logger
        connection.setCloseSender { code, reason in
            let task = Task {
                logger.debug("closing", metadata: ["connection": "\(connection.id)", "code": "\(code)", "reason": "\(reason)"])
                do {
                    try await outbound.close(code, reason: reason)
                } catch {
                    logger.debug("close failed", metadata: ["connection": "\(connection.id)", "error": "\(error)"])
                }
                return Int(UInt16(webSocketErrorCode: code))
            }
            closing.withLock { $0 = task }
        }
        await read(inbound, connection: connection)
        connection.finish()
        let closeCode = await closing.withLock { $0 }?.value
        fanOut.unregister(connection, closeCode: closeCode)
    }

    /// Closes a refused connection with its application code and reason, then reads until the client answers the close
    /// (or the library's close timeout ends it): the closing handshake of RFC 6455.
    private func refuse(_ refusal: AccessPolicy.Refusal, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        logger.info("refusing a WebSocket after its handshake: \(refusal.reason)")
        try? await outbound.close(.unknown(refusal.closeCode), reason: refusal.reason)
        do {
            for try await _ in inbound {}
        } catch {}
    }

    /// Reads client messages until the connection ends (the client closed, or answered our close).
    private func read(_ inbound: WebSocketInboundStream, connection: ClientConnection) async {
        let configuration = fanOut.configuration
        var closing = false
        do {
            for try await message in inbound.messages(maxSize: configuration.maxMessageBytes) {
                guard !closing else { continue }  // keep reading so the client's close reply is seen
                guard connection.admitClientMessage() else {
                    let limit = configuration.messagesPerSecond
                    connection.send(
                        .error(
                            code: .rateLimited,
                            message: "more than \(limit) messages per second; closing the connection", symbols: nil))
                    connection.requestClose(.policyViolation, reason: "rate limit exceeded", afterQueuedMessages: true)
                    closing = true
                    continue
                }
                switch message {
                case .binary:
                    connection.requestClose(.unacceptableData, reason: "binary frames are not accepted: ticker.v1 is JSON text")
                    closing = true
                case .text(let text):
                    handle(text, connection: connection)
                }
            }
        } catch {
            logger.debug("reader ended", metadata: ["connection": "\(connection.id)", "error": "\(error)"])
        }
    }

    private func handle(_ text: String, connection: ClientConnection) {
        do {
            switch try ClientMessage.decode(Data(text.utf8)) {
            case .subscribe(let symbols):
                fanOut.changeSubscriptions(connection, subscribe: true, names: symbols)
            case .unsubscribe(let symbols):
                fanOut.changeSubscriptions(connection, subscribe: false, names: symbols)
            case .ping(let id):
                connection.send(.pong(id: id, ts: WallClock.nowMicroseconds()))
            }
        } catch {
            connection.send(.error(code: error.code, message: error.message, symbols: nil))
        }
    }
}
