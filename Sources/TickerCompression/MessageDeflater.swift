import CompressNIO
import NIOCore

/// Compresses WebSocket message payloads for `permessage-deflate` (RFC 7692 §7.2.1), each message on its own (no
/// context takeover): raw DEFLATE, ended with a sync flush whose four trailing bytes (`00 00 FF FF`) are removed.
/// Because nothing carries over from one message to the next, the same payload always compresses to the same bytes, so
/// one compression of a tick's frame serves every client that negotiated the extension.
///
/// Not thread-safe: the fan-out keeps one per event loop (and one for the feed), never one per connection.
public final class MessageDeflater {
    private let compressor: ZlibCompressor
    /// The compressor's window, 9 to 15 bits (`server_max_window_bits`).
    public let windowBits: Int

    public init(windowBits: Int = 15) throws {
        precondition((9...15).contains(windowBits), "raw deflate takes 9 to 15 window bits")
        self.windowBits = windowBits
        compressor = try ZlibCompressor(
            algorithm: .deflate,
            configuration: ZlibConfiguration(windowSize: Int32(windowBits), compressionLevel: 6, memoryLevel: 8, strategy: .default))
    }

    /// `payload` compressed on its own: what a frame with RSV1 set carries.
    public func compress(_ payload: [UInt8]) throws -> [UInt8] {
        defer { try? compressor.reset() }
        var input = ByteBuffer(bytes: payload)
        var output = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input))
        try compressor.deflate(from: &input, to: &output, flush: .sync)
        var bytes = Array(output.readableBytesView)
        if bytes.suffix(4) == [0x00, 0x00, 0xFF, 0xFF] { bytes.removeLast(4) }
        return bytes
    }
}
