import Foundation

/// What the load generator needs from one `quotes` frame, read without decoding the JSON: the fan-out sends
/// thousands of these a second and a full decode would make the load generator, not the server, the bottleneck.
///
/// The fast path expects the key order ticker and the reference peers write:
/// `{"type":"quotes","seq":N,"ts":MICROS,"quotes":[...]` and, from ticker, a trailing `"conflated":K`.
/// Any other text is decoded with `JSONSerialization`, so another server's key order still counts.
public struct QuotesFrameScan: Hashable, Sendable {
    /// The tick's sequence number.
    public var seq: UInt64
    /// The tick's time, microseconds since the Unix epoch.
    public var ts: Int64
    /// How many quotes the frame carries (occurrences of the `"symbol"` key).
    public var quoteCount: Int
    /// Ticks folded into this frame by the server (`"conflated"`), 0 if absent.
    public var conflated: Int

    /// Reads a text frame; nil if it is not a `quotes` message.
    public static func scan(_ bytes: UnsafeRawBufferPointer) -> QuotesFrameScan? {
        let prefix = #"{"type":"quotes","seq":"#.utf8
        if bytes.count > prefix.count, bytes.starts(with: prefix) {
            var index = prefix.count
            guard let seq = readInteger(bytes, at: &index), expect(#","ts":"#, in: bytes, at: &index),
                let ts = readInteger(bytes, at: &index)
            else { return decodeFully(bytes) }
            return QuotesFrameScan(
                seq: seq, ts: Int64(clamping: ts), quoteCount: countQuotes(in: bytes, from: index),
                conflated: trailingConflated(bytes))
        }
        return decodeFully(bytes)
    }

    private static func readInteger(_ bytes: UnsafeRawBufferPointer, at index: inout Int) -> UInt64? {
        let start = index
        var value: UInt64 = 0
        while index < bytes.count, case let digit = bytes[index], digit >= 0x30, digit <= 0x39 {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - 0x30))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return index > start ? value : nil
    }

    private static func expect(_ literal: String, in bytes: UnsafeRawBufferPointer, at index: inout Int) -> Bool {
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
        }
        return true
    }

    /// Objects that start with `{"symbol":`, found with the C library's vectorised `memchr`.
    private static func countQuotes(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let key = Array(#"{"symbol":"#.utf8)
        var found = 0
        var offset = start
        while offset < bytes.count, let hit = memchr(base + offset, Int32(UInt8(ascii: "{")), bytes.count - offset) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            if at + key.count <= bytes.count, memcmp(hit, key, key.count) == 0 { found += 1 }
            offset = at + 1
        }
        return found
    }

    /// `,"conflated":K}` at the end of the frame, as ticker writes it.
    private static func trailingConflated(_ bytes: UnsafeRawBufferPointer) -> Int {
        let key = Array(#""conflated":"#.utf8)
        guard bytes.count > key.count else { return 0 }
        var start = bytes.count - key.count
        let stop = max(0, bytes.count - 32)
        while start >= stop {
            if bytes[start] == UInt8(ascii: "\""), zip(key, bytes[start..<(start + key.count)]).allSatisfy({ $0 == $1 }) {
                var index = start + key.count
                return readInteger(bytes, at: &index).map { Int(clamping: $0) } ?? 0
            }
            start -= 1
        }
        return 0
    }

    private static func decodeFully(_ bytes: UnsafeRawBufferPointer) -> QuotesFrameScan? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            object["type"] as? String == "quotes", let seq = (object["seq"] as? NSNumber)?.uint64Value,
            let ts = (object["ts"] as? NSNumber)?.int64Value
        else { return nil }
        return QuotesFrameScan(
            seq: seq, ts: ts, quoteCount: (object["quotes"] as? [Any])?.count ?? 0,
            conflated: (object["conflated"] as? NSNumber)?.intValue ?? 0)
    }
}
