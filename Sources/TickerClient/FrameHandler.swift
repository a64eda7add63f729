import NIOCore
import NIOHTTP1
import NIOWebSocket
import Synchronization
import TickerCompression

/// State shared between the connection object and its pipeline handlers.
final class ConnectionFlags: Sendable {
    /// Bytes of frames handed to the channel and not yet written to the socket.
    let bufferedAmount = Atomic<Int>(0)
    /// True once this side sent a close frame.
    let closeSent = Atomic<Bool>(false)
    /// Message payload bytes as they came over the wire, and as delivered (inflated, when compressed).
    let wireBytes = Atomic<Int>(0)
    let messageBytes = Atomic<Int>(0)
    /// The server's close frame, once it came.
    let closeFrame = Mutex<(code: Int, reason: String)?>(nil)
    private let finished = Atomic<Bool>(false)

    /// Ends the event stream with `.closed`, once: from the frame handler's channelInactive normally, or from the
    /// channel's close future when the channel closed before the frame handler was in place.
    func finish(_ continuation: AsyncStream<WebSocketEvent>.Continuation) {
        guard !finished.exchange(true, ordering: .relaxed) else { return }
        let frame = closeFrame.withLock { $0 }
        continuation.yield(.closed(code: frame?.code, reason: frame?.reason ?? ""))
        continuation.finish()
    }
}

/// Turns frames into ``WebSocketEvent``s: reassembles fragmented messages, answers pings, and completes the closing
/// handshake (echoing the server's close frame when this side had not sent one).
final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncStream<WebSocketEvent>.Continuation
    private let flags: ConnectionFlags
    /// Set when the handshake agreed `permessage-deflate`: messages whose first frame has RSV1 are inflated with it.
    private let inflater: MessageInflater?
    /// Largest message accepted once inflated.
    private let maxMessageBytes: Int
    private var fragments: [UInt8] = []
    private var fragmentedOpcode: WebSocketOpcode?
    private var fragmentedCompressed = false
    private var failed = false

    init(continuation: AsyncStream<WebSocketEvent>.Continuation, flags: ConnectionFlags, inflater: MessageInflater?, maxMessageBytes: Int) {
        self.continuation = continuation
        self.flags = flags
        self.inflater = inflater
        self.maxMessageBytes = maxMessageBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !failed else { return }
        let payload = frame.unmaskedData
        // RSV2 and RSV3 mean nothing here; RSV1 marks a compressed message, on its first frame only (RFC 7692 §6).
        if frame.rsv2 || frame.rsv3 { return fail(context, code: 1002, reason: "RSV2 or RSV3 set: no extension agreed defines them") }
        if frame.rsv1 {
            guard inflater != nil else { return fail(context, code: 1002, reason: "RSV1 set but permessage-deflate was not negotiated") }
            guard frame.opcode == .text || frame.opcode == .binary else {
                return fail(context, code: 1002, reason: "RSV1 set on a \(frame.opcode) frame: only a message's first frame may have it")
            }
        }
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                deliver(context, opcode: frame.opcode, bytes: Array(payload.readableBytesView), compressed: frame.rsv1)
            } else {
                fragmentedOpcode = frame.opcode
                fragmentedCompressed = frame.rsv1
                fragments = Array(payload.readableBytesView)
            }
        case .continuation:
            guard let opcode = fragmentedOpcode else { return }
            fragments.append(contentsOf: payload.readableBytesView)
            if frame.fin {
                deliver(context, opcode: opcode, bytes: fragments, compressed: fragmentedCompressed)
                fragments = []
                fragmentedOpcode = nil
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var body = payload
            let code = body.readInteger(as: UInt16.self).map(Int.init) ?? 1005
            let reason = body.readString(length: body.readableBytes) ?? ""
            flags.closeFrame.withLock { $0 = (code, reason) }
            if flags.closeSent.exchange(true, ordering: .relaxed) {
                context.close(promise: nil)
            } else {
                var echo = context.channel.allocator.buffer(capacity: 2)
                echo.writeInteger(UInt16(code == 1005 ? 1000 : code))
                let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
            }
        default:
            break
        }
    }

    private func deliver(_ context: ChannelHandlerContext, opcode: WebSocketOpcode, bytes: [UInt8], compressed: Bool) {
        var message = bytes
        if compressed, let inflater {
            do {
                message = try inflater.inflate(bytes, limit: maxMessageBytes)
            } catch .tooLarge(_) {
                return fail(context, code: 1009, reason: "message larger than \(maxMessageBytes) bytes once inflated")
            } catch {
                return fail(context, code: 1007, reason: "compressed message is not valid DEFLATE data")
            }
        }
        flags.wireBytes.add(bytes.count, ordering: .relaxed)
        flags.messageBytes.add(message.count, ordering: .relaxed)
        if opcode == .text {
            continuation.yield(.text(String(decoding: message, as: UTF8.self), wireBytes: bytes.count))
        } else {
            continuation.yield(.binary(message))
        }
    }

    /// Fails the connection from this side: a close frame with `code`, then the TCP connection ends.
    private func fail(_ context: ChannelHandlerContext, code: UInt16, reason: String) {
        failed = true
        flags.closeFrame.withLock { $0 = (Int(code), reason) }
        guard !flags.closeSent.exchange(true, ordering: .relaxed) else { return context.close(promise: nil) }
        var body = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        body.writeInteger(code)
        body.writeString(reason)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: body)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        flags.finish(continuation)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Collects a refused upgrade's response body. NIO's upgrade handler has consumed the status line by then (the raw
/// handshake record keeps it) and forwards the rest once it has finished with the refusal.
final class RefusalCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<String>
    private var body: [UInt8] = []
    private var finished = false

    init(promise: EventLoopPromise<String>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: break
        case .body(let buffer): body.append(contentsOf: buffer.readableBytesView.prefix(max(0, 4096 - body.count)))
        case .end: finish()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        promise.succeed(String(decoding: body, as: UTF8.self))
    }
}
