import TickerCore

/// Number and time formatting for the dashboard: fixed, compact, and the same everywhere.
enum Formatting {
    /// `189.23`, always two decimals.
    static func price(_ value: Hundredths) -> String {
        let magnitude = value.raw.magnitude
        let cents = magnitude % 100
        return (value.raw < 0 ? "-" : "") + grouped(magnitude / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// `+1.33` / `-0.07` / `0.00`.
    static func signed(_ value: Hundredths) -> String {
        (value.raw > 0 ? "+" : "") + price(value)
    }

    /// `+0.71%`.
    static func percent(_ value: Hundredths) -> String {
        signed(value) + "%"
    }

    /// `1,234,567`.
    static func grouped(_ value: some BinaryInteger) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// `12.3M`, `456.7K`, `999` for narrow columns.
    static func compact(_ value: Int64) -> String {
        switch value {
        case 1_000_000_000...: return String(format1: Double(value) / 1e9) + "B"
        case 1_000_000...: return String(format1: Double(value) / 1e6) + "M"
        case 10_000...: return String(format1: Double(value) / 1e3) + "K"
        default: return grouped(value)
        }
    }

    /// `1.2 ms`, `850 µs`, `2.31 s` from microseconds.
    static func duration(microseconds: Int64) -> String {
        switch microseconds {
        case ..<1_000: return "\(microseconds) µs"
        case ..<1_000_000: return String(format1: Double(microseconds) / 1000) + " ms"
        default: return String(format1: Double(microseconds) / 1e6) + " s"
        }
    }

    /// `1.2 KiB`, `340 B`.
    static func bytes(_ count: Int) -> String {
        switch count {
        case ..<1024: return "\(count) B"
        case ..<(1 << 20): return String(format1: Double(count) / 1024) + " KiB"
        default: return String(format1: Double(count) / Double(1 << 20)) + " MiB"
        }
    }

    /// `18:21:05` (UTC) from microseconds since the epoch.
    static func clock(microseconds: Int64) -> String { WallClock.timeOfDay(microseconds: microseconds) }

    /// A clock offset: `+5.0 s`, `-120 µs`, `±0 µs`.
    static func offset(microseconds: Int64) -> String {
        (microseconds > 0 ? "+" : microseconds < 0 ? "-" : "±") + duration(microseconds: Int64(microseconds.magnitude))
    }

    /// A time frame: `15 s`, `2 min`.
    static func seconds(_ microseconds: Int64) -> String {
        let seconds = microseconds / 1_000_000
        return seconds >= 60 && seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds) s"
    }

    /// Right-aligns `text` in `width` cells.
    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.suffix(width)) : String(repeating: " ", count: width - text.count) + text
    }

    /// Left-aligns `text` in `width` cells, cutting it with `…` when too long.
    static func left(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        if text.count > width { return String(text.prefix(width - 1)) + "…" }
        return text + String(repeating: " ", count: width - text.count)
    }
}

extension String {
    /// One decimal, rounded: `12.3`.
    init(format1 value: Double) {
        let tenths = Int64((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
