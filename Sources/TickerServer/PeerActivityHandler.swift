import NIOCore
import NIOWebSocket

/// Sits just after NIO's WebSocket frame decoder and tells the connection that its peer said something (any frame: a
/// message, a pong, a close), for ticker's own dead-peer detection. Everything is passed on unchanged.
final class PeerActivityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let connection: ClientConnection

    init(connection: ClientConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.heardFromPeer()
        context.fireChannelRead(data)
    }
}
