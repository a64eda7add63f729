import Foundation
import Testing
import TickerAssets
import TickerClient
import TickerCore
import TickerServer

/// `GET /api/history` against a real server: what it keeps, how much, and what it refuses.
@Suite("GET /api/history over real HTTP", .timeLimit(.minutes(2)))
struct HistoryEndpointTests {
    struct Answer: Decodable {
        struct Point: Decodable, Equatable {
            var seq: UInt64
            var ts: Int64
            var price: Double
            var volume: Int64
        }
        var symbol: String
        var seq: UInt64
        var points: [Point]
    }

    @Test("the points are the ticks a WebSocket client saw change the symbol, and every change of the seeded feed, oldest first")
    func matchesThePushedTicks() async throws {
        try await TestServer.with({
            $0.activity = 0.4
            $0.seed = 5
        }) { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.send(.subscribe(symbols: ["AAPL"]))
            var pushed: [UInt64: (ts: Int64, quote: Quote)] = [:]
            while pushed.count < 15 {
                guard case .quotes(let seq, let ts, let quotes, _, _) = try await socket.next(where: \.isQuotes) else { continue }
                pushed[seq] = (ts, quotes[0])
            }
            let response = try await server.get("/api/history?symbol=aapl")
            #expect(response.status == 200)
            #expect(response.body.hasPrefix(#"{"symbol":"AAPL","seq":"#))
            let answer = try JSONDecoder().decode(Answer.self, from: Data(response.body.utf8))
            let bySeq = Dictionary(uniqueKeysWithValues: answer.points.map { ($0.seq, $0) })
            for (seq, (ts, quote)) in pushed {
                let point = try #require(bySeq[seq], "seq \(seq), pushed, is in the history")
                #expect(point == Answer.Point(seq: seq, ts: ts, price: quote.price.doubleValue, volume: quote.volume))
            }
            #expect(answer.points.map(\.seq) == answer.points.map(\.seq).sorted() && answer.seq >= answer.points.last!.seq)
            // Every change of AAPL in the seeded feed up to the answer's seq, and nothing else.
            let expected = try await offThePool {
                var simulator = PriceSimulator(catalog: try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: nil), seed: 5, activity: 0.4)
                var changes: [UInt64] = []
                while simulator.seq < answer.seq {
                    let tick = simulator.step(timestamp: 0)
                    if tick.quotes.contains(where: { $0.symbol == "AAPL" }) { changes.append(tick.seq) }
                }
                return changes
            }
            #expect(answer.points.map(\.seq) == expected)
        }
    }

    @Test("bounded by --history: the last N changes; points asks for fewer")
    func bounded() async throws {
        try await TestServer.with({
            $0.activity = 1
            $0.historyDepth = 5
        }) { server, _ in
            try await eventually("the feed to pass 20 ticks") { await server.server.stats.snapshot().ticks > 20 }
            let all = try JSONDecoder().decode(Answer.self, from: Data(try await server.get("/api/history?symbol=MSFT").body.utf8))
            #expect(all.points.count == 5)
            // With activity 1 every tick changes every symbol: the last five seqs, consecutive.
            let last = all.points.last!.seq
            #expect(all.points.map(\.seq) == Array((last - 4)...last))
            let three = try JSONDecoder().decode(Answer.self, from: Data(try await server.get("/api/history?symbol=MSFT&points=3").body.utf8))
            #expect(three.points.count == 3 && three.points.first!.seq >= all.points[2].seq)
            let over = try await server.get("/api/history?symbol=MSFT&points=6")
            #expect(over.status == 400 && over.body.contains(#""parameter":"points""#) && over.body.contains("from 1 to 5"))
        }
    }

    @Test(
        "a bad parameter gets 400 bad_parameter naming it",
        arguments: [
            ("", "symbol"), ("?symbol=", "symbol"), ("?symbol=NOPE", "symbol"), ("?symbol=AAPL,MSFT", "symbol"),
            ("?symbol=AAPL&points=0", "points"), ("?symbol=AAPL&points=x", "points"), ("?symbol=AAPL&since=3", "since"),
        ])
    func badParameters(query: String, parameter: String) async throws {
        try await TestServer.with { server, _ in
            let response = try await server.get("/api/history" + query)
            #expect(response.status == 400)
            #expect(response.body.hasPrefix(#"{"error":"bad_parameter","parameter":"\#(parameter)""#), "\(response.body)")
            #expect(try await server.get("/healthz").status == 200, "the server carries on")
        }
    }
}
