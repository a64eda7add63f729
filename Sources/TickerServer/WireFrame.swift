import NIOCore

/// A server-to-client WebSocket text frame exactly as it crosses the wire (RFC 6455 §5.2: FIN set, opcode 1, no mask,
/// then the payload length in 7, 16 or 64 bits). The fan-out builds each tick's frame once and hands the same bytes to
/// every connection below NIO's `WebSocketFrameEncoder`, which would otherwise write a header per connection per frame.
enum WireFrame {
    /// A ping with no payload (FIN set, opcode 9).
    static let ping = ByteBuffer(bytes: [0x89, 0x00])

    static func text(_ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(payload.count + 10)
        buffer.writeInteger(UInt8(0x81))
        switch payload.count {
        case ..<126:
            buffer.writeInteger(UInt8(payload.count))
        case ...Int(UInt16.max):
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(payload.count))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(payload.count))
        }
        buffer.writeBytes(payload)
        return buffer
    }
}
