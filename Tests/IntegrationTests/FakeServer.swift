import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import TickerClient

/// A WebSocket server that plays a fixed script at each client: to test how clients take bad server behaviour.
///
/// By default it waits for the client's first message (its subscribe) before playing, and it keeps reading until the
/// client has gone: a socket closed with unread input sends RST, which would lose the script's close frame on the way.
enum FakeServer {
    static func with(
        waitForFirstMessage: Bool = true, script: @escaping @Sendable (WebSocketOutboundWriter) async throws -> Void,
        _ body: (_ url: String) async throws -> Void
    ) async throws {
        var logger = Logger(label: "fake-server")
        logger.logLevel = .error
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: Router(),
            server: .http1WebSocketUpgrade { _, _, _ in
                .upgrade([.secWebSocketProtocol: "ticker.v1"]) { inbound, outbound, _ in
                    var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                    if waitForFirstMessage { _ = try await messages.next() }
                    try await script(outbound)
                    while try await messages.next() != nil {}
                }
            },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("the fake server never listened") }
            do {
                try await body("ws://127.0.0.1:\(port)/ws")
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
