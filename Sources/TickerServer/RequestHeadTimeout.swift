import NIOCore
import TickerCore

/// Bounds in time how long a new connection may take to send its first request head (request line and headers, up to
/// the blank line): one that has not sent a whole head within `timeout` is answered `408 Request Timeout` and closed,
/// so a slowloris cannot hold connections open by dribbling headers. (Their size is bounded by the HTTP decoder's
/// limits, answered 431 by ``HTTPParseErrorResponder``; later requests on a kept-alive connection by the idle timeout.)
///
/// It sits first in the pipeline (after TLS) and reads raw bytes, only to see where the head ends; once it has, it
/// passes everything on and leaves the pipeline.
final class RequestHeadTimeout: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let timeout: Duration
    /// How much of "\r\n\r\n" the bytes seen so far end with.
    private var matched = 0
    private var timer: Scheduled<Void>?
    private var timedOut = false

    init(timeout: Duration) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            refuse(context: loopBound.value)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !timedOut else { return }  // answered: what follows is read and dropped until the peer has gone
        let ended = unwrapInboundIn(data).readableBytesView.contains { byte in
            matched = byte == UInt8(ascii: matched % 2 == 0 ? "\r" : "\n") ? matched + 1 : (byte == UInt8(ascii: "\r") ? 1 : 0)
            return matched == 4
        }
        context.fireChannelRead(data)
        if ended {
            timer?.cancel()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    /// Answers 408 with a JSON body saying why, then closes.
    private func refuse(context: ChannelHandlerContext) {
        timedOut = true
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string("request_timeout")
        writer.key("message")
        writer.string("no complete request head within \(timeout)")
        writer.endObject()
        let body = writer.bytes
        var response = context.channel.allocator.buffer(capacity: 160 + body.count)
        response.writeString(
            "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n"
                + "Content-Length: \(body.count)\r\n\r\n")
        response.writeBytes(body)
        // Closing with unread input would reset the connection and could destroy the answer before the client reads
        // it, so: answer, half-close, drop what still arrives, and close when the client does (or a second later).
        context.writeAndFlush(wrapOutboundOut(response)).assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if timedOut, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
