import TickerClient

/// A frame as one line of the frames pane: direction and time, the header's fields, the first payload bytes in hex.
///
///     ← 12:00:01  FIN RSV1 · ·  text          len 2431 (16-bit)           7b 22 74 79 70 65 22 3a 22 71 75 6f …
///     → 12:00:01  FIN · · ·     text    MASK 3f a1 09 c2  len 37 (7-bit)  7b 22 74 79 70 65 22 3a 22 70 69 6e …
enum FrameFormatting {
    static func line(_ frame: FrameRecord) -> String {
        let arrow = frame.direction == .received ? "←" : "→"
        let reserved = [frame.rsv1 ? "RSV1" : "·", frame.rsv2 ? "RSV2" : "·", frame.rsv3 ? "RSV3" : "·"].joined(separator: " ")
        let mask = frame.maskKey.map { "MASK " + hex($0) } ?? "no mask"
        let more = frame.length > frame.head.count ? " …" : ""
        return "\(arrow) \(Formatting.clock(microseconds: frame.time))  \(frame.fin ? "FIN" : "   ") \(Formatting.left(reserved, 12)) "
            + "\(Formatting.left(frame.opcodeName, 8)) \(Formatting.left(mask, 16))  len \(frame.length) (\(frame.lengthForm))  "
            + hex(frame.head) + more
    }

    /// The same without the time and with fewer payload bytes, for the tour's narrower column.
    ///
    ///     → FIN · · ·     text   MASK 3f a1 09 c2  len 37 (7-bit)       7b 22 74 79 70 65 …
    static func compactLine(_ frame: FrameRecord) -> String {
        let arrow = frame.direction == .received ? "←" : "→"
        let reserved = [frame.rsv1 ? "RSV1" : "·", frame.rsv2 ? "RSV2" : "·", frame.rsv3 ? "RSV3" : "·"].joined(separator: " ")
        let mask = frame.maskKey.map { "MASK " + hex($0) } ?? "no mask"
        let head = Array(frame.head.prefix(6))
        let more = frame.length > head.count ? " …" : ""
        return "\(arrow) \(frame.fin ? "FIN" : "   ") \(Formatting.left(reserved, 8)) \(Formatting.left(frame.opcodeName, 6)) "
            + "\(Formatting.left(mask, 16))  \(Formatting.left("len \(frame.length) (\(frame.lengthForm))", 19)) " + hex(head) + more
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    }
}
