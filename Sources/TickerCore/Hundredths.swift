/// A fixed-point number with two decimals, stored as an integer count of hundredths.
///
/// Prices live on a 0.01 grid and percentages are quoted to two decimals, so both are exact integers here: no binary
/// floating-point rounding ever reaches the wire. JSON text is the shortest exact form (`187.5`, `190`, `-0.07`).
public struct Hundredths: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The value times 100.
    public var raw: Int64

    public init(raw: Int64) { self.raw = raw }

    /// Rounds a floating-point value to the nearest hundredth.
    public init(rounding value: Double) { self.raw = Int64((value * 100).rounded()) }

    public static let zero = Hundredths(raw: 0)

    public var doubleValue: Double { Double(raw) / 100 }

    public static func < (lhs: Hundredths, rhs: Hundredths) -> Bool { lhs.raw < rhs.raw }
    public static func + (lhs: Hundredths, rhs: Hundredths) -> Hundredths { Hundredths(raw: lhs.raw + rhs.raw) }
    public static func - (lhs: Hundredths, rhs: Hundredths) -> Hundredths { Hundredths(raw: lhs.raw - rhs.raw) }

    /// The shortest exact decimal text: `189.23`, `187.5`, `190`, `-0.07`.
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12)
        write(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the decimal text as UTF-8 bytes (the encoder's hot path: no intermediate `String`).
    public func write(into bytes: inout [UInt8]) {
        var magnitude = raw.magnitude
        if raw < 0 { bytes.append(UInt8(ascii: "-")) }
        let fraction = magnitude % 100
        magnitude /= 100
        Self.writeDigits(magnitude, into: &bytes)
        guard fraction != 0 else { return }
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 10))
        if fraction % 10 != 0 { bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10)) }
    }

    static func writeDigits(_ value: UInt64, into bytes: inout [UInt8]) {
        if value >= 10 { writeDigits(value / 10, into: &bytes) }
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
