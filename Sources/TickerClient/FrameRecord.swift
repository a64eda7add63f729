import NIOCore
import NIOWebSocket
import TickerCore

/// One WebSocket frame as it crossed the wire, its header decoded (RFC 6455 §5.2): what the dashboard's frames pane
/// shows. Recorded by ``FrameTap`` when a connection asks for it.
public struct FrameRecord: Sendable, Hashable {
    public enum Direction: Sendable, Hashable {
        case received, sent
    }

    public var direction: Direction
    /// When it passed (µs since the epoch).
    public var time: Int64
    public var fin: Bool
    public var rsv1: Bool
    public var rsv2: Bool
    public var rsv3: Bool
    /// The opcode's 4 bits.
    public var opcode: UInt8
    /// The masking key, on frames a client sends (every one of them must be masked, §5.3).
    public var maskKey: [UInt8]?
    /// The payload's length in bytes.
    public var length: Int
    /// The payload's first bytes, unmasked.
    public var head: [UInt8]

    public init(
        direction: Direction, time: Int64, fin: Bool, rsv1: Bool = false, rsv2: Bool = false, rsv3: Bool = false, opcode: UInt8,
        maskKey: [UInt8]? = nil, length: Int, head: [UInt8]
    ) {
        self.direction = direction
        self.time = time
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3
        self.opcode = opcode
        self.maskKey = maskKey
        self.length = length
        self.head = head
    }

    /// Bytes of the payload kept for display.
    public static let headLength = 12

    init(_ frame: WebSocketFrame, direction: Direction, time: Int64) {
        // A frame on its way out is still plain text: NIO's encoder applies the mask as it writes the bytes. One that
        // came in is unmasked here (a server's never is masked).
        let payload = direction == .sent ? frame.data : frame.unmaskedData
        self.init(
            direction: direction, time: time, fin: frame.fin, rsv1: frame.rsv1, rsv2: frame.rsv2, rsv3: frame.rsv3,
            opcode: UInt8(webSocketOpcode: frame.opcode), maskKey: frame.maskKey.map { Array($0) }, length: payload.readableBytes,
            head: Array(payload.readableBytesView.prefix(Self.headLength)))
    }

    /// `text`, `ping`, `close`... (`reserved 0x3` for the opcodes RFC 6455 leaves unassigned).
    public var opcodeName: String {
        switch opcode {
        case 0x0: "continuation"
        case 0x1: "text"
        case 0x2: "binary"
        case 0x8: "close"
        case 0x9: "ping"
        case 0xA: "pong"
        default: "reserved 0x\(String(opcode, radix: 16))"
        }
    }

    /// How the header writes the length: in the 7 bits themselves up to 125, then 126 and 16 bits, or 127 and 64 bits.
    public var lengthForm: String {
        length <= 125 ? "7-bit" : length <= 0xFFFF ? "16-bit" : "64-bit"
    }
}

/// Sits between NIO's WebSocket codec and the connection's handlers and reports every frame both ways.
final class FrameTap: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let report: @Sendable (FrameRecord) -> Void

    init(report: @escaping @Sendable (FrameRecord) -> Void) {
        self.report = report
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        report(FrameRecord(unwrapInboundIn(data), direction: .received, time: WallClock.nowMicroseconds()))
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        report(FrameRecord(unwrapOutboundIn(data), direction: .sent, time: WallClock.nowMicroseconds()))
        context.write(data, promise: promise)
    }
}
