import HTTPTypes
import NIOCore
import NIOHTTPTypes
import TickerCore

/// Gives a refused WebSocket handshake a JSON body that names the supported subprotocol and path.
///
/// hummingbird-websocket answers every refused upgrade with a bare `400 Bad Request`, before any request head reaches
/// the HTTP handlers (NIO's upgrader consumed it). So a 400 written before this handler saw a request head is exactly
/// the failed-upgrade reply; ordinary 400s from routes pass through untouched. The body is generic because the reply
/// no longer knows which check failed.
final class FailedUpgradeDecorator: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let body: String = {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string("upgrade_refused")
        writer.key("message")
        writer.string(
            "WebSocket upgrades are accepted at \(TickerProtocol.path) offering subprotocol \(TickerProtocol.name) (or none)")
        writer.key("path")
        writer.string(TickerProtocol.path)
        writer.key("supportedProtocols")
        writer.beginArray()
        writer.string(TickerProtocol.name)
        writer.endArray()
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }()

    private var sawRequestHead = false
    private var pendingBody: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { sawRequestHead = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status == .badRequest && !sawRequestHead:
            let body = ByteBuffer(string: Self.body)
            head.headerFields[.contentLength] = String(body.readableBytes)
            head.headerFields[.contentType] = "application/json"
            pendingBody = body
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end(let trailers):
            if let body = pendingBody {
                pendingBody = nil
                context.write(wrapOutboundOut(.body(body)), promise: nil)
            }
            context.write(wrapOutboundOut(.end(trailers)), promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }
}
