import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket server below any library's checks: its 101 carries the headers a test gives (an extension the client
/// never offered, say), then it writes the test's frames exactly, reserved bits and all, and ignores what comes back.
/// For testing how a client takes a server that breaks RFC 6455 or RFC 7692 at the framing level.
enum ScriptedFrameServer {
    static func with(
        responseHeaders: [(String, String)], frames: [WebSocketFrame], _ body: (_ url: String) async throws -> Void
    ) async throws {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            shouldUpgrade: { channel, _ in
                channel.eventLoop.makeSucceededFuture(HTTPHeaders([("Sec-WebSocket-Protocol", "ticker.v1")] + responseHeaders))
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Script(frames: frames)) }
            })
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        try await body("ws://127.0.0.1:\(listener.localAddress?.port ?? 0)/ws")
    }

    /// Writes the frames once the connection is upgraded; reads and drops the client's.
    private final class Script: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let frames: [WebSocketFrame]
        init(frames: [WebSocketFrame]) { self.frames = frames }

        func handlerAdded(context: ChannelHandlerContext) {
            for frame in frames { context.write(wrapOutboundOut(frame), promise: nil) }
            context.flush()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }
}
