import NIOCore

/// A server-to-client WebSocket text frame exactly as it crosses the wire (RFC 6455 §5.2: FIN set, opcode 1, no mask,
/// then the payload length in 7, 16 or 64 bits). The fan-out frames each tick's payload once and every connection
/// writes those same bytes below NIO's `WebSocketFrameEncoder`, which would otherwise write a header per connection
/// per frame.
enum WireFrame {
    /// The frame's bytes: header, then `payload`. `compressed` sets RSV1: a `permessage-deflate` payload (RFC 7692 §6).
    static func textBytes(_ payload: [UInt8], compressed: Bool = false) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(payload.count + 10)
        frame.append(compressed ? 0xC1 : 0x81)
        switch payload.count {
        case ..<126:
            frame.append(UInt8(payload.count))
        case ...Int(UInt16.max):
            frame.append(126)
            frame.append(contentsOf: withUnsafeBytes(of: UInt16(payload.count).bigEndian, Array.init))
        default:
            frame.append(127)
            frame.append(contentsOf: withUnsafeBytes(of: UInt64(payload.count).bigEndian, Array.init))
        }
        frame.append(contentsOf: payload)
        return frame
    }

    /// The frame in a buffer.
    static func text(_ payload: [UInt8], compressed: Bool = false) -> ByteBuffer {
        ByteBuffer(bytes: textBytes(payload, compressed: compressed))
    }

    /// Whether a framed buffer carries a compressed message (RSV1).
    static func isCompressed(_ frame: ByteBuffer) -> Bool {
        (frame.getInteger(at: frame.readerIndex, as: UInt8.self) ?? 0) & 0x40 != 0
    }

    /// Payloads smaller than this are sent plain even to compressing clients: deflate cannot gain much on them.
    static let compressionThreshold = 256
}
