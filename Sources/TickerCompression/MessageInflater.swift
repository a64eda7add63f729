import CompressNIO
import NIOCore

/// Inflates `permessage-deflate` messages (RFC 7692 §7.2.2): appends the `00 00 FF FF` the sender removed and inflates,
/// never producing more than `limit` bytes. A message that would inflate past it is refused as soon as the output
/// passes the limit, so a small "zip bomb" costs at most `limit` bytes of memory, not what it would expand to.
///
/// With `contextTakeover` off (the peer compresses each message on its own) it resets after every message and can be
/// shared by every connection of an event loop; a client following a server that keeps its context keeps one of its
/// own, with `contextTakeover` on.
public final class MessageInflater {
    private let decompressor: ZlibDecompressor
    private let contextTakeover: Bool

    /// Why a message could not be inflated.
    public enum Failure: Error, Sendable, Equatable {
        /// It would inflate past the limit.
        case tooLarge(limit: Int)
        /// Not valid DEFLATE data.
        case corrupt
    }

    public init(contextTakeover: Bool = false) throws {
        self.contextTakeover = contextTakeover
        decompressor = try ZlibDecompressor(algorithm: .deflate, windowSize: 15)
    }

    /// The message's payload, inflated: at most `limit` bytes.
    public func inflate(_ compressed: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        defer { if !contextTakeover { try? decompressor.reset() } }
        var input = ByteBuffer(bytes: compressed)
        input.writeBytes([0x00, 0x00, 0xFF, 0xFF])
        // One byte more than allowed: if it fills, the message is too large, and inflating stops there.
        var output = ByteBufferAllocator().buffer(capacity: min(limit + 1, max(64, compressed.count * 8)))
        while true {
            do {
                try decompressor.inflate(from: &input, to: &output)
                break
            } catch let error as CompressNIOError where error == .bufferOverflow {
                guard output.readableBytes <= limit else { throw .tooLarge(limit: limit) }
                output.reserveCapacity(minimumWritableBytes: min(limit + 1 - output.readableBytes, max(4096, output.readableBytes)))
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                break  // all input consumed: the message ends on the sync flush's empty block
            } catch {
                throw .corrupt
            }
        }
        guard output.readableBytes <= limit else { throw .tooLarge(limit: limit) }
        return Array(output.readableBytesView)
    }
}
