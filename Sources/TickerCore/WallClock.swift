import Foundation

/// Wall-clock time as `ticker.v1` writes it: integer microseconds since the Unix epoch.
public enum WallClock {
    public static func nowMicroseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }

    /// `18:21:05` (UTC) for a time in microseconds since the epoch.
    public static func timeOfDay(microseconds: Int64) -> String {
        let seconds = (microseconds / 1_000_000) % 86_400
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }
}
