import Foundation
import TickerCore

/// CPU time and resident memory of a process, read from `/proc` (Linux).
public struct ProcessSample: Sendable {
    /// User plus system CPU time of every thread, in seconds.
    public var cpuSeconds: Double
    /// Resident set size in bytes.
    public var residentBytes: Int
    /// When it was read.
    public var at: ContinuousClock.Instant

    /// Reads `pid` (or this process when nil); nil if the process is gone.
    public static func read(pid: Int32?) -> ProcessSample? {
        let directory = pid.map { "/proc/\($0)" } ?? "/proc/self"
        guard let stat = try? String(contentsOfFile: directory + "/stat", encoding: .utf8),
            let status = try? String(contentsOfFile: directory + "/status", encoding: .utf8)
        else { return nil }
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let rssLine = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        let rssKiB = rssLine.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        return ProcessSample(cpuSeconds: (user + system) / ticks, residentBytes: rssKiB * 1024, at: .now)
    }

    /// CPU used between `earlier` and this sample, in percent of one core.
    public func cpuPercent(since earlier: ProcessSample) -> Double {
        let wall = (at - earlier.at).seconds
        return wall > 0 ? 100 * (cpuSeconds - earlier.cpuSeconds) / wall : 0
    }
}

/// The whole machine's busy CPU time, from `/proc/stat`.
public struct HostSample: Sendable {
    var busy: Double
    var total: Double

    public static func read() -> HostSample? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 5 else { return nil }
        let idle = values[3] + values[4]  // idle + iowait
        let total = values.prefix(8).reduce(0, +)
        return HostSample(busy: total - idle, total: total)
    }

    /// Busy time between the samples in percent of all cores (200 % on two cores).
    public func busyPercent(since earlier: HostSample) -> Double {
        let total = total - earlier.total
        return total > 0 ? 100 * Double(ProcessInfo.processInfo.activeProcessorCount) * (busy - earlier.busy) / total : 0
    }
}
