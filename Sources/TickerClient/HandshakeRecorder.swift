import NIOCore

/// Sits at the head of the pipeline and keeps the raw bytes of the opening handshake: everything written until the
/// response arrives, and everything read up to the blank line that ends the response headers. After that it only
/// passes bytes through.
final class HandshakeRecorder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var sent: [UInt8] = []
    private(set) var received: [UInt8] = []
    /// The first bytes after the response headers (the server's first frames), kept in case the channel closes before
    /// the frame handler is in place: see ``closeFrameAfterHandshake``.
    private(set) var afterHandshake: [UInt8] = []
    private var responseComplete = false
    private static let afterHandshakeLimit = 1 << 16

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytesView
        if !responseComplete {
            received.append(contentsOf: bytes)
            if let end = received.firstRange(of: [13, 10, 13, 10]) {
                afterHandshake = Array(received[end.upperBound...].prefix(Self.afterHandshakeLimit))
                received.removeSubrange(end.upperBound...)
                responseComplete = true
            }
        } else if afterHandshake.count < Self.afterHandshakeLimit {
            afterHandshake.append(contentsOf: bytes.prefix(Self.afterHandshakeLimit - afterHandshake.count))
        }
        context.fireChannelRead(data)
    }

    /// The code and reason of a close frame among the first frames the server sent, if any.
    ///
    /// A server that refuses a client right after the handshake sends its 101 and a close frame at once and drops the
    /// connection. If that happens before NIO's upgrade has installed the frame handler, the pipeline is torn down and
    /// the buffered frame is never delivered; the raw bytes kept here still hold it.
    var closeFrameAfterHandshake: (code: Int, reason: String)? {
        let bytes = afterHandshake
        var index = 0
        while index + 2 <= bytes.count {
            let opcode = bytes[index] & 0x0F
            let masked = bytes[index + 1] & 0x80 != 0
            var length = Int(bytes[index + 1] & 0x7F)
            var header = 2
            if length == 126 {
                guard index + 4 <= bytes.count else { return nil }
                length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
                header = 4
            } else if length == 127 {
                guard index + 10 <= bytes.count else { return nil }
                length = bytes[(index + 2)..<(index + 10)].reduce(0) { $0 << 8 | Int($1) }
                header = 10
            }
            if masked { header += 4 }
            let start = index + header
            guard length >= 0, start + length <= bytes.count else { return nil }
            if opcode == 0x8 {
                var payload = Array(bytes[start..<(start + length)])
                if masked {
                    let key = Array(bytes[(start - 4)..<start])
                    for position in payload.indices { payload[position] ^= key[position % 4] }
                }
                guard payload.count >= 2 else { return (1005, "") }
                return (Int(payload[0]) << 8 | Int(payload[1]), String(decoding: payload[2...], as: UTF8.self))
            }
            index = start + length
        }
        return nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if received.isEmpty { sent.append(contentsOf: unwrapOutboundIn(data).readableBytesView) }
        context.write(data, promise: promise)
    }

    var handshake: Handshake { Handshake(rawRequest: sent, rawResponse: received) }
}
