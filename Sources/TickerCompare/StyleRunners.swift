import AsyncHTTPClient
import Foundation
import NIOCore
import TickerClient
import TickerCore

/// The four ways a client can follow the feed (WebSocket with and without compression), each through its own counting proxy, until `deadline`.
enum StyleRunners {
    struct QuotesBody: Decodable {
        var seq: UInt64
        var quotes: [Quote]
    }

    /// Short polling: `GET /api/quotes` every `interval`, whether or not anything changed.
    static func shortPolling(_ run: StyleRun, symbols: [String], interval: Duration) async {
        let url = "http://127.0.0.1:\(run.proxy.port)/api/quotes?symbols=\(symbols.joined(separator: ","))"
        var next = ContinuousClock.now
        while run.running {
            if let body = try? await get(url) {
                run.countRequest()
                if let quotes = try? JSONDecoder().decode(QuotesBody.self, from: body) {
                    let now = WallClock.nowMicroseconds()
                    run.observe(quotes.quotes.map { Observation(symbol: $0.symbol, seq: quotes.seq, exact: false, seenAt: now) })
                    run.markReady()
                }
            }
            next = max(next.advanced(by: interval), .now)
            try? await Task.sleep(until: min(next, run.deadline))
        }
    }

    /// Long polling: `GET /api/quotes/poll?since=SEQ`, answered when something changed (or 204 on timeout), at once again.
    static func longPolling(_ run: StyleRun, symbols: [String], since start: UInt64) async {
        var since = start
        run.markReady()
        while run.running {
            let remaining = max(1, min(5000, (run.deadline - .now).milliseconds))
            let url =
                "http://127.0.0.1:\(run.proxy.port)/api/quotes/poll?since=\(since)&symbols=\(symbols.joined(separator: ","))&timeoutMs=\(remaining)"
            guard let body = try? await get(url) else { continue }
            run.countRequest()
            guard !body.isEmpty, let quotes = try? JSONDecoder().decode(QuotesBody.self, from: body) else { continue }
            let now = WallClock.nowMicroseconds()
            run.observe(quotes.quotes.map { Observation(symbol: $0.symbol, seq: quotes.seq, exact: false, seenAt: now) })
            since = quotes.seq
        }
    }

    /// Server-Sent Events: one `GET /api/quotes/stream` whose response never ends; one event per tick.
    static func serverSentEvents(_ run: StyleRun, symbols: [String]) async {
        let url = "http://127.0.0.1:\(run.proxy.port)/api/quotes/stream?symbols=\(symbols.joined(separator: ","))"
        await until(run) {
            guard let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .hours(1)) else { return }
            var pending = ""
            do {
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let end = pending.range(of: "\n\n") {
                        let block = pending[..<end.lowerBound]
                        pending = String(pending[end.upperBound...])
                        guard let data = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { continue }
                        run.countRequest()
                        run.markReady()
                        let now = WallClock.nowMicroseconds()
                        if case .quotes(let seq, _, let quotes, _, _) = try? ServerMessage.decode(Data(data.dropFirst(6).utf8)) {
                            run.observe(quotes.map { Observation(symbol: $0.symbol, seq: seq, exact: true, seenAt: now) })
                        }
                    }
                }
            } catch {}
        }
    }

    /// WebSocket: one connection, one subscribe, then every tick pushed as a frame; with `compression`, the connection
    /// offers `permessage-deflate` and the proxy counts the compressed bytes.
    static func webSocket(_ run: StyleRun, symbols: [String], compression: Bool) async {
        guard let url = try? WebSocketURL("ws://127.0.0.1:\(run.proxy.port)/ws"),
            let connection = try? await WebSocketConnection.connect(to: url, compression: compression)
        else { return }
        connection.send(ClientMessage.subscribe(symbols: symbols).jsonText)
        await until(run) {
            for await event in connection.events {
                guard case .text(let text, _) = event else { continue }
                run.countRequest()
                let now = WallClock.nowMicroseconds()
                switch try? ServerMessage.decode(Data(text.utf8)) {
                case .snapshot?: run.markReady()
                case .quotes(let seq, _, let quotes, _, _)?:
                    run.observe(quotes.map { Observation(symbol: $0.symbol, seq: seq, exact: true, seenAt: now) })
                default: break
                }
            }
        }
        connection.close()
    }

    /// A GET's body, or nil on failure; 204 gives an empty body.
    private static func get(_ url: String) async throws -> Data {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(70))
        let body = try await response.body.collect(upTo: 1 << 22)
        return Data(body.readableBytesView)
    }

    /// Runs `body` until it returns or the style's deadline passes (then it is cancelled).
    private static func until(_ run: StyleRun, _ body: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await body() }
            group.addTask { await run.waitForDeadline() }
            await group.next()
            group.cancelAll()
        }
    }
}
