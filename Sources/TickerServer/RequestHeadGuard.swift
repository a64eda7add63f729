import NIOCore
import TickerCore

/// Bounds a connection's first request head, in bytes and in time, before the HTTP decoder sees it: a head (request
/// line and headers, up to the blank line) longer than `maxBytes` is answered `431 Request Header Fields Too Large`, and
/// a connection that has not sent a whole head within `timeout` is answered `408 Request Timeout`; either way the
/// connection is then closed. A slowloris cannot hold a connection open, and an endless request line cannot grow a
/// buffer. Once the head is complete it passes everything on and leaves the pipeline (later requests on a kept-alive
/// connection are bounded by the decoder's header limits and the idle timeout).
///
/// It sits first in the pipeline (after TLS), so it reads raw bytes.
final class RequestHeadGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maxBytes: Int
    private let timeout: Duration
    private var seen = 0
    /// How much of "\r\n\r\n" the bytes seen so far end with.
    private var matched = 0
    private var timer: Scheduled<Void>?
    private var finished = false

    init(maxBytes: Int, timeout: Duration) {
        self.maxBytes = maxBytes
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            refuse(context: loopBound.value, status: "408 Request Timeout", message: "no complete request head within \(timeout)")
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }  // refused: what follows is read and dropped until the peer has gone
        let buffer = unwrapInboundIn(data)
        let end = buffer.readableBytesView.firstIndex { byte in
            matched = byte == UInt8(ascii: matched % 2 == 0 ? "\r" : "\n") ? matched + 1 : (byte == UInt8(ascii: "\r") ? 1 : 0)
            return matched == 4
        }
        let headBytes = end.map { $0 - buffer.readerIndex + 1 } ?? buffer.readableBytes
        seen += headBytes
        guard seen <= maxBytes else {
            refuse(
                context: context, status: "431 Request Header Fields Too Large",
                message: "the request head is larger than \(maxBytes) bytes")
            return
        }
        context.fireChannelRead(data)
        if end != nil {
            finished = true
            timer?.cancel()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    /// Answers with `status` and a JSON body saying why, then closes.
    private func refuse(context: ChannelHandlerContext, status: String, message: String) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string(status.hasPrefix("408") ? "request_timeout" : "request_header_too_large")
        writer.key("message")
        writer.string(message)
        writer.endObject()
        let body = writer.bytes
        var response = context.channel.allocator.buffer(capacity: 160 + body.count)
        response.writeString(
            "HTTP/1.1 \(status)\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n"
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
        if finished, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
