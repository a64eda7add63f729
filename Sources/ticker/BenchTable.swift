import Foundation
import TickerBench

/// `ticker bench` as text: the progress line while it runs, the report at the end.
enum BenchTable {
    static func progress(_ progress: BenchRun.Progress) -> String {
        switch progress {
        case .connecting(let done, let errors, let total):
            return "connecting \(done)/\(total)" + (errors > 0 ? ", \(errors) failed" : "")
        case .warmingUp(let connected, let framesPerSecond):
            return "warming up: \(connected) connected, \(Int(framesPerSecond)) frames/s"
        case .measuring(let elapsed, let of, let connected, let framesPerSecond, let p99Ms, let serverCpuPercent):
            return String(
                format: "measuring %.0f/%.0f s: %d connected, %.0f frames/s, p99 %.1f ms", elapsed, of, connected, framesPerSecond,
                p99Ms) + (serverCpuPercent.map { String(format: ", server CPU %.0f%%", $0) } ?? "")
        }
    }

    static func final(_ report: BenchReport) -> String {
        func ms(_ p: BenchReport.Percentiles) -> String {
            String(format: "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms", p.p50, p.p90, p.p99, p.p999, p.max)
        }
        func optional(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "n/a (no --server-pid)" }
        var rows: [(String, String)] = [
            ("server", "\(report.label) at \(report.url)" + (report.serverPid.map { " (pid \($0))" } ?? "")),
            (
                "clients",
                "\(report.connected) connected of \(report.clients), \(report.connectErrors) connect errors"
                    + (report.firstConnectError.map { " (first: \($0))" } ?? "")
            ),
            ("connect time", ms(report.connectMs)),
            ("window", String(format: "%.1f s after %.0f s warm-up", report.durationSeconds, report.warmupSeconds)),
        ]
        if report.subscribed {
            rows += [
                ("feed", String(format: "%.1f ticks/s", report.ticksPerSecond)),
                ("frames/s", String(format: "%.0f delivered of %.0f produced", report.framesPerSecond, report.expectedFramesPerSecond)),
                ("quotes/s", String(format: "%.0f", report.quotesPerSecond)),
                ("delivery ratio", String(format: "%.4f frames, %.4f quotes", report.deliveryRatio, report.quoteDeliveryRatio)),
                ("conflation", "\(report.conflatedTicks) ticks conflated, \(report.seqGaps) seq gaps, \(report.seqErrors) seq errors"),
                ("latency", ms(report.latencyMs) + " (\(report.latencySamples) frames)"),
                ("compression", compression(report)),
                (
                    "bytes on the wire",
                    String(
                        format: "%.1f B/quote (%.1f B/quote as JSON), %.1f KB/s per client", report.wireBytesPerQuote,
                        report.messageBytesPerQuote, report.wireBytesPerSecondPerClient / 1000)
                ),
            ]
        }
        rows += [
            ("disconnects", "\(report.disconnects)"),
            (
                "server CPU",
                optional(report.serverCpuPercent, "%.1f %% of a core")
                    + (report.serverCpuPercent.flatMap { cpu in
                        report.framesPerSecond > 0 ? String(format: ", %.2f µs per frame delivered", cpu / 100 * 1e6 / report.framesPerSecond) : nil
                    } ?? "")
            ),
            (
                "server memory",
                optional(report.serverRssMiB, "%.1f MiB resident")
                    + (report.serverRssBaselineMiB.map { String(format: " (%.1f MiB before connecting)", $0) } ?? "")
            ),
            ("memory/connection", optional(report.serverRssPerConnectionKiB, "%.1f KiB")),
            (
                "load generator",
                String(format: "%.1f %% CPU on %d threads", report.loadGeneratorCpuPercent, report.loadGeneratorThreads)
                    + (report.loadGeneratorSaturated ? ": SATURATED, the figures are the load generator's limit" : ": not saturated")
            ),
            (
                "machine",
                optional(report.hostCpuBusyPercent, "%.0f %% busy")
                    + " of \(ProcessInfo.processInfo.activeProcessorCount * 100) % (\(ProcessInfo.processInfo.activeProcessorCount) cores)"
            ),
        ]
        if report.protocolErrors > 0 { rows.append(("protocol errors", "\(report.protocolErrors) (connections failed with 1002/1007)")) }
        let width = rows.map(\.0.count).max() ?? 0
        return "ticker bench (simulated data)\n"
            + rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }

    /// `permessage-deflate on 1000 of 1000 connections, 100.0 % of frames compressed, 4.1× fewer bytes`.
    private static func compression(_ report: BenchReport) -> String {
        guard report.compressionOffered else { return "off (not offered)" }
        guard report.compressingConnections > 0 else { return "offered, declined by the server" }
        let share = report.framesPerSecond > 0 ? Double(report.compressedFrames) / (report.framesPerSecond * report.durationSeconds) : 0
        let ratio = report.wireBytesPerQuote > 0 ? report.messageBytesPerQuote / report.wireBytesPerQuote : 0
        return String(
            format: "permessage-deflate on %d of %d connections, %.1f %% of frames compressed, %.1f× fewer bytes",
            report.compressingConnections, report.connected, share * 100, ratio)
    }
}
