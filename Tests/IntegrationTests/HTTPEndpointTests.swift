import Foundation
import NIOHTTP1
import ServiceLifecycle
import Testing
import TickerClient
import TickerCore
import TickerServer

@Suite("Polling, long polling, health and metrics over real HTTP", .timeLimit(.minutes(2)))
struct HTTPEndpointTests {
    struct QuotesBody: Decodable {
        var seq: UInt64
        var ts: Int64
        var quotes: [Quote]
    }

    @Test("GET /api/symbols lists the universe and says it is simulated")
    func symbols() async throws {
        try await TestServer.with { server, _ in
            let response = try await server.get("/api/symbols")
            #expect(response.status == 200)
            #expect(response.body.hasPrefix(#"{"simulated":true,"symbols":[{"symbol":"AAPL","name":"Apple Inc.","sector":"Technology"}"#))
        }
    }

    @Test("GET /api/quotes returns the current state of the asked symbols")
    func quotes() async throws {
        try await TestServer.with { server, _ in
            let response = try await server.get("/api/quotes?symbols=AAPL,MSFT")
            #expect(response.status == 200)
            #expect(response.headers.contains { $0.0.lowercased() == "content-type" && $0.1.hasPrefix("application/json") })
            let body = try JSONDecoder().decode(QuotesBody.self, from: Data(response.body.utf8))
            #expect(body.quotes.map(\.symbol) == ["AAPL", "MSFT"])
            #expect(response.body.hasPrefix(#"{"epoch":""#) && response.body.contains(#"","seq":"#))
        }
    }

    @Test("the long poll answers as soon as a tick after since changes a watched symbol, long before its timeout")
    func longPollAnswersOnTick() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let now = try JSONDecoder().decode(QuotesBody.self, from: Data(try await server.get("/api/quotes?symbols=AAPL").body.utf8))
            let asked = ContinuousClock.now
            // The longest timeout allowed: a server that waited it out, instead of answering on the next tick (20 ms away),
            // is told apart from a slow test machine.
            let response = try await server.get("/api/quotes/poll?since=\(now.seq)&symbols=AAPL&timeoutMs=60000")
            #expect(ContinuousClock.now - asked < .seconds(20), "a tick comes every 20 ms; the answer should not wait for the 60 s timeout")
            #expect(response.status == 200)
            let body = try JSONDecoder().decode(QuotesBody.self, from: Data(response.body.utf8))
            #expect(body.seq > now.seq)
            #expect(body.quotes.map(\.symbol) == ["AAPL"])
        }
    }

    @Test("the long poll answers at once when changes after since already happened")
    func longPollImmediate() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            try await eventually("a few ticks") { await server.server.stats.snapshot().ticks >= 3 }
            let response = try await server.get("/api/quotes/poll?since=0&symbols=AAPL,MSFT&timeoutMs=10000")
            #expect(response.status == 200)
            let body = try JSONDecoder().decode(QuotesBody.self, from: Data(response.body.utf8))
            #expect(Set(body.quotes.map(\.symbol)) == ["AAPL", "MSFT"])
        }
    }

    @Test("the long poll answers 204 when the timeout passes first")
    func longPollTimeout() async throws {
        try await TestServer.with({ $0.activity = 0 }) { server, _ in
            let started = ContinuousClock.now
            let response = try await server.get("/api/quotes/poll?symbols=AAPL&timeoutMs=300")
            #expect(response.status == 204)
            let waited = ContinuousClock.now - started
            // Not before the 300 ms asked for, and well before the 25 s default a server ignoring timeoutMs would wait.
            #expect(waited >= .milliseconds(300) && waited < .seconds(15), "the timeout asked for, not the default: \(waited)")
        }
    }

    @Test(
        "bad parameters get 400 with a JSON error naming the parameter",
        arguments: [
            ("/api/quotes?symbols=NOPE", "symbols"), ("/api/quotes/poll?since=abc", "since"), ("/api/quotes/poll?timeoutMs=-5", "timeoutMs"),
            ("/api/quotes?color=red", "color"),
        ])
    func badParameters(path: String, parameter: String) async throws {
        try await TestServer.with { server, _ in
            let response = try await server.get(path)
            #expect(response.status == 400)
            #expect(response.body.hasPrefix(#"{"error":"bad_parameter","parameter":"\#(parameter)","message":"#))
        }
    }

    @Test("/healthz and /metrics report the server's state in JSON and Prometheus text")
    func healthAndMetrics() async throws {
        try await TestServer.with({
            $0.epoch = "e-9"
            $0.nodeName = "edge-1"
        }) { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.send(.subscribe(symbols: ["*"]))
            _ = try await socket.next(where: \.isQuotes)
            _ = try await server.get("/api/quotes")
            let health = try await server.get("/healthz")
            #expect(health.status == 200 && health.body.contains(#""status":"ok""#) && health.body.contains(#""connections":1"#))
            #expect(health.body.hasPrefix(#"{"status":"ok","epoch":"e-9","seq":"#) && health.body.contains(#""node":"edge-1""#))
            let metrics = try await server.get("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers.contains { $0.0.lowercased() == "content-type" && $0.1.hasPrefix("text/plain; version=0.0.4") })
            let samples = MetricsTests.samples(metrics.body)
            #expect(samples["ticker_ws_connections"] == 1, "this server's own registry: one client")
            #expect((samples["ticker_ws_frames_sent_total"] ?? 0) >= 4)
            #expect((samples["ticker_feed_ticks_total"] ?? 0) > 0)
            #expect(samples["ticker_ws_conflated_ticks_total"] == 0)
            #expect(metrics.body.contains(#"http_route="/api/quotes""#), "HTTP requests by route")
            // Where the feed is: its seq, its source reachable, its lag, and the epoch and node as labels.
            #expect((samples["ticker_feed_seq"] ?? 0) > 0 && samples["ticker_feed_connected"] == 1 && (samples["ticker_feed_lag_ms"] ?? -1) >= 0)
            #expect(metrics.body.contains(#"ticker_feed_info{epoch="e-9",node="edge-1"} 1"#))
        }
    }

    @Test("a since ahead of the feed (from before a server restart) resynchronises at once with every symbol asked for")
    func longPollAfterRestart() async throws {
        try await TestServer.with({ $0.activity = 0 }) { server, _ in
            let response = try await server.get("/api/quotes/poll?since=999999&symbols=AAPL,MSFT&timeoutMs=10000")
            #expect(response.status == 200)
            let body = try JSONDecoder().decode(QuotesBody.self, from: Data(response.body.utf8))
            #expect(body.quotes.map(\.symbol) == ["AAPL", "MSFT"])
        }
    }
}
