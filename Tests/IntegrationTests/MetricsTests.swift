import Foundation
import NIOWebSocket
import Testing
import TickerClient
import TickerCore

/// `/metrics` of a fresh `ticker serve` process, scraped as Prometheus would: every documented metric, with values that
/// follow what a client did.
@Suite("Prometheus /metrics of the ticker binary", .timeLimit(.minutes(2)))
struct MetricsTests {
    /// `name{labels} value` lines of a Prometheus text exposition, by the name and labels as written.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test("after N quotes: connections 1, frames ≥ N, bytes and feed ticks > 0; a clean close is counted under its code")
    func binaryMetrics() async throws {
        let server = try await BinaryServer.start(["--tick-ms", "20", "--activity", "1"])
        let before = Self.samples(try await server.get("/metrics").body)
        for name in [
            "ticker_ws_connections", "ticker_ws_connections_opened_total", "ticker_ws_frames_sent_total", "ticker_ws_bytes_sent_total",
            "ticker_ws_conflated_ticks_total", "ticker_ws_connections_behind", "ticker_ws_slow_consumers_closed_total",
            "ticker_feed_ticks_total", "ticker_long_polls_waiting", "ticker_ws_compressed_frames_total", "ticker_ws_compressions_total",
        ] {
            #expect(before[name] != nil, "\(name) is missing from a fresh server's /metrics")
        }
        #expect(before["ticker_ws_connections"] == 0)

        let socket = try await server.connect()
        _ = try await socket.next()
        socket.send(.subscribe(symbols: ["AAPL"]))
        let quotes = 10
        for _ in 0..<quotes { _ = try await socket.next(where: \.isQuotes) }
        let during = Self.samples(try await server.get("/metrics").body)
        #expect(during["ticker_ws_connections"] == 1)
        #expect(during["ticker_ws_connections_opened_total"] == 1)
        // welcome, subscribed, snapshot, then the quotes frames
        #expect((during["ticker_ws_frames_sent_total"] ?? 0) >= Double(quotes + 3))
        #expect((during["ticker_ws_bytes_sent_total"] ?? 0) > 1000)
        #expect((during["ticker_feed_ticks_total"] ?? 0) >= Double(quotes))
        #expect(during.keys.contains { $0.hasPrefix("hb_requests") || $0.hasPrefix("http_requests") }, "HTTP requests by route")

        socket.connection.close(code: .normalClosure, reason: "done")
        #expect(await socket.closing().code == 1000)
        try await eventually(timeout: .seconds(10), "the close to be counted") {
            let after = Self.samples(try await server.get("/metrics").body)
            return after[#"ticker_ws_closes_total{code="1000"}"#] == 1 && after["ticker_ws_connections"] == 0
        }
        #expect(await server.stop() == 0)
    }
}
