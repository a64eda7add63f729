import Foundation
import TickerCompare

/// The comparison as text tables: the live counts while it runs, the accounting at the end.
enum CompareTable {
    static func progress(_ rows: [StyleRun.Progress]) -> String {
        let header = ["style", "quotes received", "requests/frames", "bytes up", "bytes down"]
        let body = rows.map { row in
            [row.style, "\(row.quotesReceived)", "\(row.requests) \(row.requestsLabel)", bytes(row.bytesUp), bytes(row.bytesDown)]
        }
        return "ticker compare: measuring (simulated data)\n\n" + render([header] + body)
    }

    static func final(_ result: Comparison.Result) -> String {
        let header = [
            "style", "received", "seen", "missed", "staleness p50 / p99 / max", "requests", "bytes up", "bytes down", "bytes/update",
            "req/update",
        ]
        let body = result.styles.map { report in
            [
                report.style, "\(report.quotesReceived)", "\(report.updatesSeen)", "\(report.updatesMissed)",
                "\(ms(report.stalenessP50Ms)) / \(ms(report.stalenessP99Ms)) / \(ms(report.stalenessMaxMs))",
                "\(report.requests) \(report.requestsLabel)", bytes(report.bytesUp), bytes(report.bytesDown),
                String(format: "%.0f", report.bytesPerUpdate), String(format: "%.2f", report.requestsPerUpdate),
            ]
        }
        let total = result.styles.first?.updatesInWindow ?? 0
        return """
            ticker compare: \(result.symbols.joined(separator: ",")) for \(String(format: "%.0f", result.durationSeconds)) s, \
            ticks \(result.firstSeq)...\(result.lastSeq), \(total) changes of the watched symbols (simulated data)

            """ + render([header] + body)
    }

    private static func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }

    private static func bytes(_ count: Int) -> String {
        count >= 1 << 20
            ? String(format: "%.1f MiB", Double(count) / Double(1 << 20))
            : count >= 1024 ? String(format: "%.1f KiB", Double(count) / 1024) : "\(count) B"
    }

    /// Columns padded to their widest cell; the first left-aligned, the others right-aligned.
    private static func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.enumerated().map { index, row in
            let line = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
            return index == 0 ? line + "\n" + String(repeating: "─", count: line.count) : line
        }.joined(separator: "\n")
    }
}
