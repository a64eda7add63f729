import Testing
import TickerAssets

@testable import TickerCore

@Suite("Price history: the ring per symbol and GET /api/history's parameters")
struct HistoryTests {
    let catalog = try! SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON())

    @Test("every change of a seeded feed is kept, oldest first, up to the depth; then the oldest go")
    func ringAgainstTheFeed() {
        var simulator = PriceSimulator(catalog: catalog, seed: 3, activity: 0.5)
        var history = PriceHistory(symbolCount: catalog.count, depth: 40)
        var expected: [[PriceHistory.Point]] = Array(repeating: [], count: catalog.count)
        for tick in 1...200 {
            let step = simulator.step(timestamp: Int64(tick) * 100_000)
            history.apply(step)
            for (index, quote) in zip(step.changed, step.quotes) {
                expected[index].append(PriceHistory.Point(seq: step.seq, ts: step.ts, price: quote.price, volume: quote.volume))
            }
        }
        for index in 0..<catalog.count {
            #expect(history.points(of: index) == Array(expected[index].suffix(40)), "\(catalog.symbols[index].symbol)")
            #expect(history.points(of: index, last: 7) == Array(expected[index].suffix(7)))
        }
        #expect(expected[0].count > 40, "the ring did wrap")
    }

    @Test("parameters: symbol (any case) and points, with defaults; the token is left to the access check")
    func parses() throws {
        let query = try HistoryQuery(parameters: [("symbol", "msft"), ("points", "25"), ("token", "x")], catalog: catalog, depth: 1000)
        #expect(query.symbol == catalog.index(of: "MSFT") && query.points == 25)
        #expect(try HistoryQuery(parameters: [("symbol", "AAPL")], catalog: catalog, depth: 300).points == 300)
        #expect(try HistoryQuery(parameters: [("symbol", "AAPL"), ("points", "300")], catalog: catalog, depth: 300).points == 300)
    }

    @Test(
        "a bad parameter is refused naming it",
        arguments: [
            ([], "symbol", "symbol is required"), ([("symbol", "")], "symbol", "one symbol"),
            ([("symbol", "NOPE")], "symbol", "unknown symbol: NOPE"),
            ([("symbol", "AAPL,MSFT")], "symbol", "unknown symbol"), ([("symbol", "AAPL"), ("points", "0")], "points", "from 1 to 1000"),
            ([("symbol", "AAPL"), ("points", "1001")], "points", "got \"1001\""), ([("symbol", "AAPL"), ("points", "ten")], "points", "integer"),
            ([("symbol", "AAPL"), ("since", "1")], "since", "unknown parameter"), ([("", "x")], "(unnamed)", "no name"),
        ] as [([(String, String)], String, String)])
    func refuses(parameters: [(String, String)], parameter: String, message: String) {
        #expect {
            try HistoryQuery(parameters: parameters.map { (name: $0.0, value: $0.1) }, catalog: catalog, depth: 1000)
        } throws: { error in
            guard let problem = error as? PollingQuery.Problem else { return false }
            return problem.parameter == parameter && problem.message.contains(message)
        }
    }
}
