import NIOCore

/// Sits at the head of the pipeline and keeps the raw bytes of the opening handshake: everything written until the
/// response arrives, and everything read up to the blank line that ends the response headers. After that it only
/// passes bytes through.
final class HandshakeRecorder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var sent: [UInt8] = []
    private(set) var received: [UInt8] = []
    private var responseComplete = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !responseComplete {
            received.append(contentsOf: unwrapInboundIn(data).readableBytesView)
            if let end = received.firstRange(of: [13, 10, 13, 10]) {
                received.removeSubrange(end.upperBound...)
                responseComplete = true
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if received.isEmpty { sent.append(contentsOf: unwrapOutboundIn(data).readableBytesView) }
        context.write(data, promise: promise)
    }

    var handshake: Handshake { Handshake(rawRequest: sent, rawResponse: received) }
}
