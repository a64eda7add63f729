import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization
import TickerCompression
import TickerCore

/// Where the run is: frames count towards the report while it measures, and during the grace period after the window
/// for the ticks produced in it (those at or below ``seqLimit``), so that a frame still in flight at the end of the
/// window counts as delivered.
final class BenchPhase: Sendable {
    enum Value: Int { case warmingUp = 0, measuring = 1, grace = 2, finished = 3 }
    private let value = Atomic<Int>(Value.warmingUp.rawValue)
    private let limit = Atomic<UInt64>(.max)
    var current: Value { Value(rawValue: value.load(ordering: .relaxed)) ?? .finished }
    var seqLimit: UInt64 { limit.load(ordering: .relaxed) }
    func set(_ phase: Value) { value.store(phase.rawValue, ordering: .relaxed) }
    /// Ends the window: from now on only frames of ticks up to `seq` are counted, and only for delivery.
    func startGrace(lastSeq seq: UInt64) {
        limit.store(seq, ordering: .relaxed)
        set(.grace)
    }
}

/// One load-generator connection: a bare NIO WebSocket client whose frame handler scans each `quotes` frame on the
/// event loop and counts it in that loop's tally. No task, stream or lock per frame.
enum BenchConnection {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "the server refused the WebSocket upgrade" }
    }

    /// Connects, upgrades with subprotocol `ticker.v1` (offering `permessage-deflate` when `compression` is on), then
    /// sends `subscribe` (if any); returns the channel.
    static func open(
        host: String, port: Int, target: String, subscribe: String?, compression: Bool, tally: NIOLoopBound<LoopTally>,
        phase: BenchPhase, on eventLoop: any EventLoop, timeout: TimeAmount
    ) async throws -> any Channel {
        var headers = HTTPHeaders([("Host", "\(host):\(port)"), ("Sec-WebSocket-Protocol", TickerProtocol.name)])
        if compression { headers.add(name: "Sec-WebSocket-Extensions", value: PerMessageDeflate.clientOffer) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers)
        let (channel, upgraded) = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(maxFrameSize: 1 << 24) { channel, response in
                        channel.eventLoop.makeCompletedFuture {
                            // An extension the client did not offer fails the upgrade with the reason.
                            let agreement = try PerMessageDeflate.clientAccepts(
                                response.headers[canonicalForm: "Sec-WebSocket-Extensions"].map(String.init))
                            if agreement != nil { tally.value.negotiatedCompression() }
                            try channel.pipeline.syncOperations.addHandler(
                                BenchFrameHandler(
                                    tally: tally.value, phase: phase, subscribe: subscribe,
                                    inflation: try agreement.map { try BenchFrameHandler.Inflation($0) }))
                            return true
                        }
                    }
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: .init(upgradeRequestHead: head, upgraders: [upgrader]) { channel in
                            channel.eventLoop.makeSucceededFuture(false)
                        })
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return (channel, try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline))
                }
            }
        guard try await upgraded.get() else {
            try? await channel.close()
            throw Refused()
        }
        return channel
    }
}

/// Counts `quotes` frames (inflating compressed ones), answers pings, and notes a disconnect the run did not ask for.
private final class BenchFrameHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How this connection's compressed messages are inflated.
    struct Inflation {
        /// Nil when the server compresses each message on its own: then the loop's shared inflater serves.
        var ownInflater: MessageInflater?

        init(_ agreement: PerMessageDeflate.ClientAgreement) throws {
            ownInflater = agreement.serverNoContextTakeover ? nil : try MessageInflater(contextTakeover: true)
        }
    }

    private let tally: LoopTally
    private let phase: BenchPhase
    private var subscribe: String?
    private let inflation: Inflation?
    private var lastSeq: UInt64?

    init(tally: LoopTally, phase: BenchPhase, subscribe: String?, inflation: Inflation?) {
        self.tally = tally
        self.phase = phase
        self.subscribe = subscribe
        self.inflation = inflation
    }

    /// The frame's size on the wire: its payload and a server frame's header (2, 4 or 10 bytes, never masked).
    private static func wireBytes(payload: Int) -> Int {
        payload + (payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10)
    }

    /// Closes with 1002 (protocol error) or 1007 (a message that does not inflate), as RFC 6455 §7.1.7 fails a connection.
    private func fail(context: ChannelHandlerContext, code: UInt16) {
        tally.protocolError()
        var body = context.channel.allocator.buffer(capacity: 2)
        body.writeInteger(code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: body)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Subscribes once the welcome arrived: by then the upgrade has removed the HTTP handlers from the pipeline.
    private func subscribeAfterWelcome(context: ChannelHandlerContext) {
        guard let message = subscribe else { return }
        subscribe = nil
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: message))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let receivedAt = WallClock.nowMicroseconds()
            let wireBytes = Self.wireBytes(payload: frame.data.readableBytes)
            let scanned: QuotesFrameScan?
            let messageBytes: Int
            if frame.rsv1 {
                guard let inflation else { return fail(context: context, code: 1002) }
                guard let inflated = tally.scanCompressed(frame.data, ownInflater: inflation.ownInflater) else {
                    return fail(context: context, code: 1007)
                }
                (scanned, messageBytes) = inflated
            } else {
                scanned = frame.data.withUnsafeReadableBytes { QuotesFrameScan.scan($0) }
                messageBytes = frame.data.readableBytes
            }
            guard let scan = scanned else {
                tally.otherFrameReceived()
                subscribeAfterWelcome(context: context)
                return
            }
            switch phase.current {
            case .measuring:
                tally.frameReceived(
                    scan, receivedAt: receivedAt, previousSeq: lastSeq, inWindow: true, wireBytes: wireBytes, messageBytes: messageBytes,
                    compressed: frame.rsv1)
            case .grace where scan.seq <= phase.seqLimit:
                tally.frameReceived(
                    scan, receivedAt: receivedAt, previousSeq: lastSeq, inWindow: false, wireBytes: wireBytes,
                    messageBytes: messageBytes, compressed: frame.rsv1)
            default:
                tally.otherFrameReceived()
            }
            lastSeq = scan.seq
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.data)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if phase.current != .finished { tally.disconnected() }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
