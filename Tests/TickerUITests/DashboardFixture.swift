import Foundation
import TickerAssets
import TickerClient
import TickerCore

@testable import TickerUI

/// A deterministic dashboard: a seeded feed, a fixed clock, a recorded handshake.
enum DashboardFixture {
    static let start: Int64 = 1_795_500_000_000_000  // 2026-11-24 06:00:00 UTC
    static let catalog = try! SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON())
    static let handshake = Handshake(
        request: [
            "GET /ws HTTP/1.1", "Host: 127.0.0.1:8080", "Sec-WebSocket-Protocol: ticker.v1", "Connection: upgrade", "Upgrade: websocket",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
        ],
        response: [
            "HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Protocol: ticker.v1", "Upgrade: websocket",
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Connection: upgrade",
        ])

    /// A model after connecting, subscribing to `symbols` and `ticks` ticks of a seeded feed, 10 ticks per second.
    static func model(width: Int, height: Int, symbols: Int = 12, ticks: Int = 20) -> DashboardModel {
        var model = DashboardModel(url: "ws://127.0.0.1:8080/ws", now: start, width: width, height: height)
        var simulator = PriceSimulator(catalog: catalog, seed: 7, activity: 0.7)
        let subscribed = catalog.symbols.prefix(symbols).map(\.symbol)
        func send(_ event: ClientEvent, at time: Int64) {
            model = DashboardUpdate.update(model, .client(event, now: time)).0
        }
        send(.connecting(attempt: 0), at: start)
        send(.open(protocol: "ticker.v1", handshake: handshake), at: start + 2_000)
        send(
            .message(
                .welcome(symbols: catalog.symbols.map { .init(symbol: $0.symbol, name: $0.name) }, tickIntervalMs: 100, heartbeatIntervalMs: 5000),
                receivedAt: start + 3_000, bytes: 3000, wireBytes: 3000), at: start + 3_000)
        send(.message(.subscribed(symbols: subscribed), receivedAt: start + 5_000, bytes: 100, wireBytes: 100), at: start + 5_000)
        let snapshot = simulator.quotes.filter { subscribed.contains($0.symbol) }
        send(.message(.snapshot(seq: 0, ts: start, quotes: snapshot), receivedAt: start + 6_000, bytes: 2000, wireBytes: 2000), at: start + 6_000)
        for tick in 1...ticks {
            let ts = start + Int64(tick) * 100_000
            let step = simulator.step(timestamp: ts)
            let quotes = step.quotes.filter { subscribed.contains($0.symbol) }
            let receivedAt = ts + 1_000 + Int64(tick % 4) * 250
            send(
                .message(.quotes(seq: step.seq, ts: ts, quotes: quotes, conflated: nil), receivedAt: receivedAt, bytes: 1500, wireBytes: 1500),
                at: receivedAt)
        }
        return model
    }

    /// The model with `keys` pressed in order.
    static func press(_ keys: [Key], on model: DashboardModel) -> (DashboardModel, [DashboardCommand]) {
        var model = model
        var commands: [DashboardCommand] = []
        for key in keys {
            let (next, issued) = DashboardUpdate.update(model, .key(key))
            model = next
            commands += issued
        }
        return (model, commands)
    }

    /// Compares `text` with `Golden/NAME.txt`; `UPDATE_GOLDEN=1` rewrites the file instead.
    static func golden(_ name: String, _ text: String, filePath: String = #filePath) throws -> (expected: String, actual: String) {
        let url = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name).txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (text + "\n").write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        return (String(expected.dropLast()), text)
    }
}
