/// Checks UTF-8 a byte at a time, so a text message split over several WebSocket fragments is checked as it arrives
/// and refused at the first bad byte (RFC 6455 §8.1: an endpoint that receives invalid UTF-8 fails the connection).
///
/// It accepts exactly the well-formed sequences of RFC 3629 §4: no overlong forms, no surrogates (U+D800–U+DFFF),
/// nothing above U+10FFFF.
public struct UTF8Validator: Sendable, Hashable {
    /// Continuation bytes still expected by the current sequence.
    private var pending: UInt8 = 0
    /// The range the next continuation byte must fall in (narrower than 0x80–0xBF right after some lead bytes).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    public init() {}

    /// True when the bytes seen so far end on a character boundary (no sequence is half-way).
    public var isAtBoundary: Bool { pending == 0 }

    /// Checks `bytes`, continuing from the state left by the previous call; false at the first byte that cannot belong
    /// to well-formed UTF-8.
    public mutating func validate(_ bytes: some Sequence<UInt8>) -> Bool {
        for byte in bytes where !consume(byte) { return false }
        return true
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        if pending > 0 {
            guard byte >= lower, byte <= upper else { return false }
            pending -= 1
            (lower, upper) = (0x80, 0xBF)
            return true
        }
        switch byte {
        case 0x00...0x7F: return true
        case 0xC2...0xDF: pending = 1
        case 0xE0: (pending, lower) = (2, 0xA0)  // no overlong 3-byte forms
        case 0xE1...0xEC, 0xEE...0xEF: pending = 2
        case 0xED: (pending, upper) = (2, 0x9F)  // no surrogates
        case 0xF0: (pending, lower) = (3, 0x90)  // no overlong 4-byte forms
        case 0xF1...0xF3: pending = 3
        case 0xF4: (pending, upper) = (3, 0x8F)  // nothing above U+10FFFF
        default: return false  // continuation bytes without a lead, C0, C1, F5–FF
        }
        return true
    }
}
