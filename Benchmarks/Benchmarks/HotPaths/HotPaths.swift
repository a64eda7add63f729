import Benchmark
import Foundation
import TickerAssets
import TickerClient
import TickerCore
import TickerUI

/// The paths every tick takes: simulate, encode once, queue per client (with conflation), apply on the client, draw.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        maxDuration: .seconds(2), maxIterations: 100_000)
    let catalog = try! SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: 50)

    Benchmark("Simulator step (50 symbols, all changing)") { benchmark in
        var simulator = PriceSimulator(catalog: catalog, seed: 1, activity: 1)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(simulator.step(timestamp: Int64(iteration)))
        }
    }

    Benchmark("Encode a tick once (50 quotes into a quotes frame)") { benchmark in
        var simulator = PriceSimulator(catalog: catalog, seed: 1, activity: 1)
        let tick = simulator.step(timestamp: 1)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let encoded = tick.quotes.map(\.encodedJSON)
            blackHole(ServerMessage.quotesFrame(seq: tick.seq, ts: tick.ts, encodedQuotes: encoded))
        }
    }

    Benchmark("Outbox: a tick into a full outbox (conflated)") { benchmark in
        var simulator = PriceSimulator(catalog: catalog, seed: 1, activity: 1)
        let ticks = (0..<64).map { simulator.step(timestamp: Int64($0)) }
        var outbox = Outbox<Int>(tickCapacity: 8)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            let tick = ticks[iteration % ticks.count]
            outbox.push(tick: UInt64(iteration), ts: tick.ts, quotes: tick.quotes, payload: iteration)
        }
        blackHole(outbox)
    }

    /// A 160x60 dashboard subscribed to every symbol, and `count` quotes messages of a seeded feed.
    func dashboard(messages count: Int) -> (DashboardModel, [DashboardMessage]) {
        var simulator = PriceSimulator(catalog: catalog, seed: 1, activity: 1)
        let subscribed = DashboardMessage.client(
            .message(.subscribed(symbols: catalog.symbols.map(\.symbol)), receivedAt: 0, bytes: 0), now: 0)
        let model = DashboardUpdate.update(DashboardModel(url: "ws://127.0.0.1:8080/ws", width: 160, height: 60), subscribed).0
        let messages = (1...count).map { index -> DashboardMessage in
            let tick = simulator.step(timestamp: Int64(index) * 100_000)
            return .client(
                .message(.quotes(seq: tick.seq, ts: tick.ts, quotes: tick.quotes, conflated: nil), receivedAt: tick.ts + 500, bytes: 8000),
                now: tick.ts + 500)
        }
        return (model, messages)
    }

    Benchmark("Dashboard update: apply a 50-quote message") { benchmark in
        var (model, messages) = dashboard(messages: 64)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            model = DashboardUpdate.update(model, messages[iteration % messages.count]).0
        }
        blackHole(model)
    }

    Benchmark("Dashboard view: render a 160x60 frame of 50 symbols") { benchmark in
        var (model, messages) = dashboard(messages: 60)
        for message in messages { model = DashboardUpdate.update(model, message).0 }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(DashboardView.render(model))
        }
    }
}
