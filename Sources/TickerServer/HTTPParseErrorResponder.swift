import NIOCore
import NIOHTTP1
import TickerCore

/// Answers a request the HTTP decoder could not parse, instead of leaving the connection hanging: headers over the
/// decoder's limits get `431 Request Header Fields Too Large`, anything else malformed `400 Bad Request`, each with a
/// JSON body saying why; then the connection is closed. (NIO's own `HTTPServerProtocolErrorHandler` answers every
/// parse error with an empty 400.) It sits right after the decoder and leaves the pipeline when a WebSocket upgrade
/// replaces HTTP.
final class HTTPParseErrorResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A response is being written: an error answer now would corrupt it, so the connection is only closed.
    private var responseInProgress = false
    private var answered = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !answered else { return }
        answered = true
        guard !responseInProgress else {
            context.close(promise: nil)
            return
        }
        let tooLarge = parseError == .headerOverflow
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string(tooLarge ? "request_header_too_large" : "bad_request")
        writer.key("message")
        writer.string(tooLarge ? "the request's header fields are larger than this server accepts" : "malformed HTTP request (\(parseError))")
        writer.endObject()
        let body = context.channel.allocator.buffer(bytes: writer.bytes)
        let headers = HTTPHeaders([
            ("Connection", "close"), ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", "\(body.readableBytes)"),
        ])
        let head = HTTPResponseHead(version: .http1_1, status: tooLarge ? .requestHeaderFieldsTooLarge : .badRequest, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        // Half-close after the answer: closing with unread input would reset the connection and could destroy the
        // answer before the client reads it. The client's own close ends it; failing that, 10 s (a client on a busy
        // machine can take seconds to read; 1 s lost answers under the test suite's load).
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(10)) { context.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if answered, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: responseInProgress = true
        case .end: responseInProgress = false
        default: break
        }
        context.write(data, promise: promise)
    }
}
