/// The receiving side of RFC 6455 for a server: takes the frames a client sends, one at a time, enforces every rule a
/// well-behaved client follows, and yields whole messages and control frames, or the close code that fails the
/// connection. Pure: the server feeds it the frame fields its decoder read.
///
/// Rules, each with the code the RFC gives for breaking it:
/// - every client frame is masked (§5.1): 1002;
/// - reserved bits are zero unless an extension gives them a meaning (§5.2), here only RSV1 on the first frame of a
///   message when permessage-deflate was negotiated (RFC 7692 §6): 1002;
/// - opcodes 3–7 and 11–15 are reserved (§5.2): 1002;
/// - control frames are not fragmented and carry at most 125 bytes (§5.5): 1002;
/// - a continuation frame continues a message, and no new message starts before the last one ended (§5.4): 1002;
/// - a message, over all its fragments, is at most `maxMessageBytes` (§7.4.1, 1009);
/// - text is valid UTF-8, checked fragment by fragment so a bad byte fails at once (§8.1): 1007;
/// - a close frame's payload is empty, or a code a peer may send plus a UTF-8 reason (§5.5.1, §7.4): 1002 or 1007.
public struct MessageAssembler: Sendable {
    /// What one frame amounted to.
    public enum Event: Sendable, Hashable {
        /// A fragment was kept; the message is not complete yet.
        case incomplete
        /// A complete text message, valid UTF-8.
        case text([UInt8])
        /// A complete binary message.
        case binary([UInt8])
        /// A complete message whose frames were compressed (permessage-deflate): the bytes still to be inflated, and
        /// whether it is text (the UTF-8 check happens after inflating).
        case compressed([UInt8], isText: Bool)
        case ping([UInt8])
        case pong([UInt8])
        /// The peer's close frame: its code (nil for an empty payload) and reason.
        case close(code: UInt16?, reason: String)
        /// The connection must be failed with this code and reason; nothing more from the peer is acted on.
        case fail(code: UInt16, reason: String)
    }

    /// Largest message accepted, over all its fragments.
    public let maxMessageBytes: Int
    /// permessage-deflate was negotiated: RSV1 marks a compressed message.
    public let compressionNegotiated: Bool

    private struct Partial: Sendable {
        var isText: Bool
        var compressed: Bool
        var bytes: [UInt8]
        var utf8 = UTF8Validator()
    }
    private var partial: Partial?
    private var failed = false

    public init(maxMessageBytes: Int, compressionNegotiated: Bool = false) {
        self.maxMessageBytes = maxMessageBytes
        self.compressionNegotiated = compressionNegotiated
    }

    /// Opcodes (RFC 6455 §5.2).
    public enum Opcode {
        public static let continuation: UInt8 = 0x0
        public static let text: UInt8 = 0x1
        public static let binary: UInt8 = 0x2
        public static let close: UInt8 = 0x8
        public static let ping: UInt8 = 0x9
        public static let pong: UInt8 = 0xA
    }

    /// Takes one frame: `payload` already unmasked.
    public mutating func receive(
        fin: Bool, rsv1: Bool, rsv2: Bool, rsv3: Bool, opcode: UInt8, masked: Bool, payload: some Collection<UInt8>
    ) -> Event {
        guard !failed else { return .incomplete }
        guard masked else { return fail(CloseCode.protocolError, "client frames must be masked (RFC 6455 section 5.1)") }
        guard !rsv2, !rsv3 else { return fail(CloseCode.protocolError, "reserved bits RSV2/RSV3 must be 0") }
        switch opcode {
        case Opcode.close, Opcode.ping, Opcode.pong:
            guard !rsv1 else { return fail(CloseCode.protocolError, "reserved bit RSV1 set on a control frame") }
            guard fin else { return fail(CloseCode.protocolError, "control frames must not be fragmented") }
            guard payload.count <= 125 else { return fail(CloseCode.protocolError, "control frames carry at most 125 bytes") }
            switch opcode {
            case Opcode.ping: return .ping(Array(payload))
            case Opcode.pong: return .pong(Array(payload))
            default: return closeFrame(Array(payload))
            }
        case Opcode.text, Opcode.binary:
            guard partial == nil else {
                return fail(CloseCode.protocolError, "a new message began before the fragmented message before it ended")
            }
            let compressed = rsv1
            guard !compressed || compressionNegotiated else {
                return fail(CloseCode.protocolError, "reserved bit RSV1 set but permessage-deflate was not negotiated")
            }
            partial = Partial(isText: opcode == Opcode.text, compressed: compressed, bytes: [])
            return append(payload, fin: fin)
        case Opcode.continuation:
            guard !rsv1 else { return fail(CloseCode.protocolError, "reserved bit RSV1 set on a continuation frame") }
            guard partial != nil else { return fail(CloseCode.protocolError, "a continuation frame with no message to continue") }
            return append(payload, fin: fin)
        default:
            return fail(CloseCode.protocolError, "reserved opcode \(opcode)")
        }
    }

    private mutating func append(_ payload: some Collection<UInt8>, fin: Bool) -> Event {
        guard var message = partial else { return .incomplete }
        guard message.bytes.count + payload.count <= maxMessageBytes else {
            return fail(CloseCode.messageTooBig, "message larger than \(maxMessageBytes) bytes")
        }
        if message.isText, !message.compressed, !message.utf8.validate(payload) {
            return fail(CloseCode.invalidPayload, "text message is not valid UTF-8")
        }
        partial = nil  // so appending does not copy the bytes
        message.bytes.append(contentsOf: payload)
        guard fin else {
            partial = message
            return .incomplete
        }
        if message.compressed { return .compressed(message.bytes, isText: message.isText) }
        guard !message.isText || message.utf8.isAtBoundary else {
            return fail(CloseCode.invalidPayload, "text message ends inside a UTF-8 sequence")
        }
        return message.isText ? .text(message.bytes) : .binary(message.bytes)
    }

    private mutating func closeFrame(_ payload: [UInt8]) -> Event {
        if payload.isEmpty { return .close(code: nil, reason: "") }
        guard payload.count >= 2 else { return fail(CloseCode.protocolError, "a close frame payload of 1 byte (a code takes 2)") }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard CloseCode.mayBeSent(code) else { return fail(CloseCode.protocolError, "close code \(code) may not be sent") }
        var utf8 = UTF8Validator()
        let reason = payload.dropFirst(2)
        guard utf8.validate(reason), utf8.isAtBoundary else {
            return fail(CloseCode.invalidPayload, "close reason is not valid UTF-8")
        }
        return .close(code: code, reason: String(decoding: reason, as: UTF8.self))
    }

    private mutating func fail(_ code: UInt16, _ reason: String) -> Event {
        failed = true
        partial = nil
        return .fail(code: code, reason: reason)
    }
}
