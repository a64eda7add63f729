import TickerCore

/// Round values for a chart's axes: prices on steps of 1, 2 or 5 × 10ⁿ cents, times on whole seconds and minutes.
enum ChartAxis {
    /// The price range a chart spans: the prices' own, widened so a flat series sits in the middle.
    static func priceRange(low: Hundredths, high: Hundredths) -> (low: Hundredths, high: Hundredths) {
        guard high > low else {
            let pad = max(Int64(1), low.raw / 1000)
            return (Hundredths(raw: low.raw - pad), Hundredths(raw: high.raw + pad))
        }
        return (low, high)
    }

    /// The price labels between `low` and `high`: multiples of the smallest round step that gives at most `count`.
    static func priceTicks(low: Hundredths, high: Hundredths, count: Int) -> [Hundredths] {
        guard count > 0, high > low else { return [] }
        let span = high.raw - low.raw
        var magnitude: Int64 = 1
        while true {
            for factor: Int64 in [1, 2, 5] {
                let step = factor * magnitude
                if span / step + 1 <= Int64(count) {
                    let first = (low.raw + step - 1).floorDivided(by: step) * step
                    return stride(from: first, through: high.raw, by: Int(step)).map { Hundredths(raw: $0) }
                }
            }
            magnitude *= 10
        }
    }

    /// Steps for time labels, in seconds.
    static let timeSteps: [Int64] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]

    /// Label times (µs) between `start` and `end` on the smallest round step whose labels fit `count`.
    static func timeTicks(start: Int64, end: Int64, count: Int) -> [Int64] {
        guard count > 0, end > start else { return [] }
        for seconds in timeSteps {
            let step = seconds * 1_000_000
            guard (end - start) / step + 1 <= Int64(count) else { continue }
            let first = (start + step - 1).floorDivided(by: step) * step
            return Array(stride(from: first, through: end, by: Int(step)))
        }
        return []
    }
}

extension Int64 {
    /// Division rounding towards minus infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
