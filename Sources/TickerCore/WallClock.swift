import Foundation

/// Wall-clock time as `ticker.v1` writes it: integer microseconds since the Unix epoch.
public enum WallClock {
    public static func nowMicroseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }
}
