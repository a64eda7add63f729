import NIOCore
import NIOHTTP1
import NIOWebSocket
import Synchronization

/// State shared between the connection object and its pipeline handlers.
final class ConnectionFlags: Sendable {
    /// Bytes of frames handed to the channel and not yet written to the socket.
    let bufferedAmount = Atomic<Int>(0)
    /// True once this side sent a close frame.
    let closeSent = Atomic<Bool>(false)
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

/// Counts the bytes of frames queued in the channel until the socket has taken them (`bufferedAmount`).
final class BufferedAmountTracker: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let flags: ConnectionFlags

    init(flags: ConnectionFlags) { self.flags = flags }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data).length
        let written = promise ?? context.eventLoop.makePromise()
        flags.bufferedAmount.add(bytes, ordering: .relaxed)
        written.futureResult.whenComplete { [flags] _ in flags.bufferedAmount.subtract(bytes, ordering: .relaxed) }
        context.write(data, promise: written)
    }
}

/// Turns frames into ``WebSocketEvent``s: reassembles fragmented messages, answers pings, and completes the closing
/// handshake (echoing the server's close frame when this side had not sent one).
final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncStream<WebSocketEvent>.Continuation
    private let flags: ConnectionFlags
    private var fragments: [UInt8] = []
    private var fragmentedOpcode: WebSocketOpcode?

    init(continuation: AsyncStream<WebSocketEvent>.Continuation, flags: ConnectionFlags) {
        self.continuation = continuation
        self.flags = flags
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let payload = frame.unmaskedData
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                deliver(opcode: frame.opcode, bytes: Array(payload.readableBytesView))
            } else {
                fragmentedOpcode = frame.opcode
                fragments = Array(payload.readableBytesView)
            }
        case .continuation:
            guard let opcode = fragmentedOpcode else { return }
            fragments.append(contentsOf: payload.readableBytesView)
            if frame.fin {
                deliver(opcode: opcode, bytes: fragments)
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

    private func deliver(opcode: WebSocketOpcode, bytes: [UInt8]) {
        if opcode == .text {
            continuation.yield(.text(String(decoding: bytes, as: UTF8.self)))
        } else {
            continuation.yield(.binary(bytes))
        }
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
