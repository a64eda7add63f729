import Foundation
import Testing
import TickerAssets

@testable import TickerCore

@Suite("Price simulator")
struct SimulatorTests {
    let catalog = try! SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON())

    func run(seed: UInt64, activity: Double, ticks: Int, catalog: SymbolCatalog? = nil) -> [FeedTick] {
        var simulator = PriceSimulator(catalog: catalog ?? self.catalog, seed: seed, activity: activity)
        return (0..<ticks).map { simulator.step(timestamp: Int64($0)) }
    }

    @Test("the same seed replays the same ticks; another seed does not")
    func seededDeterminism() {
        let first = run(seed: 42, activity: 0.5, ticks: 200)
        let again = run(seed: 42, activity: 0.5, ticks: 200)
        let other = run(seed: 43, activity: 0.5, ticks: 200)
        #expect(first.map(\.quotes) == again.map(\.quotes))
        #expect(first.map(\.changed) == again.map(\.changed))
        #expect(first.map(\.quotes) != other.map(\.quotes))
    }

    @Test("seq is strictly increasing from 1")
    func sequenceNumbers() {
        let ticks = run(seed: 1, activity: 0.3, ticks: 50)
        #expect(ticks.map(\.seq) == Array(1...50))
    }

    @Test("activity 1 changes every symbol every tick; activity 0 changes none")
    func activity() {
        #expect(run(seed: 1, activity: 1, ticks: 5).allSatisfy { $0.changed.count == catalog.count })
        #expect(run(seed: 1, activity: 0, ticks: 5).allSatisfy { $0.changed.isEmpty })
        let half = run(seed: 1, activity: 0.5, ticks: 200).map(\.changed.count).reduce(0, +)
        let expected = Double(200 * catalog.count) * 0.5
        #expect(abs(Double(half) - expected) < expected * 0.1)
    }

    @Test("quotes are consistent: grid, spread, session range, volume, change against the previous close")
    func quoteInvariants() {
        var previousVolume: [String: Int64] = [:]
        for tick in run(seed: 7, activity: 1, ticks: 300) {
            for quote in tick.quotes {
                #expect(quote.bid < quote.price && quote.price < quote.ask)
                #expect(quote.low <= quote.price && quote.price <= quote.high)
                #expect(quote.low <= quote.open && quote.open <= quote.high)
                #expect(quote.change == quote.price - quote.prevClose)
                #expect(quote.volume > previousVolume[quote.symbol, default: 0])
                previousVolume[quote.symbol] = quote.volume
            }
        }
    }

    @Test("log returns have the volatility of the assets entry (geometric Brownian motion)")
    func volatility() {
        let info = SymbolInfo(
            symbol: "TEST", name: "Test", sector: "Test", referencePrice: 10_000, annualVolatility: 0.4, annualDrift: 0)
        let ticks = run(seed: 9, activity: 1, ticks: 20_000, catalog: SymbolCatalog(symbols: [info]))
        let prices = ticks.map { Double($0.quotes[0].price.raw) }
        let returns = zip(prices.dropFirst(), prices).map { log($0 / $1) }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let variance = returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count - 1)
        let perTick = 0.4 * (PriceSimulator.simulatedSecondsPerTick / PriceSimulator.tradingSecondsPerYear).squareRoot()
        #expect(abs(variance.squareRoot() / perTick - 1) < 0.05)
    }

    @Test("the assets list has at least 50 well-known tickers; larger universes get synthetic symbols")
    func catalogContents() throws {
        #expect(catalog.count >= 50)
        for symbol in ["AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "META", "TSLA", "JPM", "V"] {
            #expect(catalog.index(of: symbol) != nil, "missing \(symbol)")
        }
        let large = try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: 500)
        #expect(large.count == 500)
        #expect(Set(large.symbols.map(\.symbol)).count == 500)
        #expect(large.symbols[499].symbol == "SYN0500")
        let small = try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: 5)
        #expect(small.symbols.map(\.symbol) == Array(catalog.symbols.prefix(5).map(\.symbol)))
    }
}
