import Foundation
import Testing
import TickerClient
import TickerCore

@testable import TickerUI

/// The detail view: its keys, its history, and what it draws on the grid.
@Suite("The chart of one symbol on the cell grid")
struct ChartTests {
    /// The changes of `symbol` in the fixture's seeded feed (seed 7, activity 0.7, a tick every 100 ms from `start`).
    static func seededPoints(_ symbol: String, ticks: Int, from start: Int64 = DashboardFixture.start) -> [PriceHistory.Point] {
        var simulator = PriceSimulator(catalog: DashboardFixture.catalog, seed: 7, activity: 0.7)
        var points: [PriceHistory.Point] = []
        for tick in 1...ticks {
            let ts = start + Int64(tick) * 100_000
            let step = simulator.step(timestamp: ts)
            if let quote = step.quotes.first(where: { $0.symbol == symbol }) {
                points.append(PriceHistory.Point(seq: step.seq, ts: ts, price: quote.price, volume: quote.volume))
            }
        }
        return points
    }

    /// The fixture after `ticks` ticks, with the chart of its first row open and the feed's history answered.
    static func chartModel(width: Int, height: Int, ticks: Int = 600, keys: [Key] = []) -> DashboardModel {
        let (opened, commands) = DashboardFixture.press([.enter] + keys, on: DashboardFixture.model(width: width, height: height, ticks: ticks))
        precondition(commands.first == .fetchHistory("AAPL"))
        return DashboardUpdate.update(opened, .history(symbol: "AAPL", points: seededPoints("AAPL", ticks: ticks))).0
    }

    static func brailleCells(_ grid: CellGrid) -> [(x: Int, y: Int)] {
        var cells: [(x: Int, y: Int)] = []
        for y in 0..<grid.height {
            for x in 0..<grid.width where (0x2801...0x28FF).contains(grid[x, y].character.unicodeScalars.first!.value) {
                cells.append((x, y))
            }
        }
        return cells
    }

    @Test("golden text: the line at 80x24 and 120x40, candles at 120x40", arguments: [(80, 24, false), (120, 40, false), (120, 40, true)])
    func golden(width: Int, height: Int, candles: Bool) throws {
        let model = Self.chartModel(width: width, height: height, keys: candles ? [.character("c")] : [])
        let grid = DashboardView.render(model)
        let (expected, actual) = try DashboardFixture.golden("chart\(candles ? "-candles" : "")-\(width)x\(height)", grid.text)
        #expect(actual == expected)
        let text = grid.text
        #expect(text.contains("AAPL") && text.contains("Apple") && text.contains("prev close") && text.contains("spread"))
        #expect(text.contains(candles ? "candles, 1 per" : "line · 1 min"))
        #expect(text.contains("Esc table"))
    }

    @Test("the price axis labels round values inside the plotted range, at most the number asked for")
    func priceAxis() {
        for (low, high, count) in [(18_712, 18_967, 5), (100, 101, 4), (9_990, 10_020, 8), (123_456, 129_999, 6)] {
            let ticks = ChartAxis.priceTicks(low: Hundredths(raw: Int64(low)), high: Hundredths(raw: Int64(high)), count: count)
            #expect(!ticks.isEmpty && ticks.count <= count, "\(low)-\(high): \(ticks)")
            #expect(ticks.allSatisfy { $0.raw >= low && $0.raw <= high })
            let step = ticks.count > 1 ? ticks[1].raw - ticks[0].raw : 1
            #expect([1, 2, 5].contains(step / Int64(pow(10, Double(Int(log10(Double(step))))))), "a round step: \(step)")
            #expect(ticks.allSatisfy { $0.raw % step == 0 })
        }
        #expect(ChartAxis.priceTicks(low: Hundredths(raw: 18_712), high: Hundredths(raw: 18_967), count: 5).map(\.description) == ["188", "189"])
        let times = ChartAxis.timeTicks(start: 1_000_500_000, end: 1_060_500_000, count: 5)
        #expect(times == [1_005_000_000, 1_020_000_000, 1_035_000_000, 1_050_000_000], "every 15 s, on multiples of 15 s")
    }

    @Test("a flat series is one horizontal line in the middle of the plot, with labels around it")
    func flatSeries() {
        var model = Self.chartModel(width: 120, height: 40)
        let flat = (1...200).map {
            PriceHistory.Point(
                seq: UInt64(10_000 + $0), ts: model.now - 20_000_000 + Int64($0) * 100_000, price: Hundredths(raw: 18_800), volume: 1000)
        }
        model.chart = ChartState(symbol: "AAPL")
        model.chart?.merge(history: flat)
        let grid = DashboardView.render(model)
        let rows = Set(Self.brailleCells(grid).map(\.y))
        #expect(rows.count == 1, "one row of dots: \(rows.sorted())")
        let row = rows.first ?? 0
        #expect(abs(row - (2 + 2 + 40 - 8) / 2) <= 3, "near the middle of the plot, row \(row)")
        #expect(grid.text.contains("188.00"), "the flat price is labelled")
    }

    @Test("a single point is drawn, and the line holds its price to the right edge")
    func singlePoint() {
        var model = Self.chartModel(width: 120, height: 40)
        model.chart = ChartState(symbol: "AAPL")
        model.chart?.merge(history: [PriceHistory.Point(seq: 1, ts: model.now - 5_000_000, price: Hundredths(raw: 18_800), volume: 5)])
        let cells = Self.brailleCells(DashboardView.render(model))
        #expect(!cells.isEmpty && Set(cells.map(\.y)).count == 1)
        let plotRight = 120 - ChartView.axisWidth - 1
        #expect(cells.map(\.x).max() == plotRight, "to the right edge")
        #expect(cells.map(\.x).min()! > 90, "from where the point is: 5 s before the end of 60 s")
    }

    @Test("a stretch with no change longer than 20 ticks breaks the line: nothing is drawn across it")
    func gap() {
        var model = Self.chartModel(width: 120, height: 40)
        let end = model.now
        let before = (0..<50).map {
            PriceHistory.Point(
                seq: UInt64($0 + 1), ts: end - 60_000_000 + Int64($0) * 100_000, price: Hundredths(raw: 18_800 + Int64($0 % 7)), volume: 0)
        }
        let after = (0..<50).map {
            PriceHistory.Point(
                seq: UInt64($0 + 500), ts: end - 5_000_000 + Int64($0) * 100_000, price: Hundredths(raw: 18_800 + Int64($0 % 5)), volume: 0)
        }
        model.chart = ChartState(symbol: "AAPL")
        model.chart?.merge(history: before + after)
        let columns = Set(Self.brailleCells(DashboardView.render(model)).map(\.x))
        // 60 s over 109 columns: the first points end near column 9, the later ones start near column 100.
        let empty = (20...90).filter { !columns.contains($0) }
        #expect(empty.count == 71, "nothing drawn in the gap; drawn columns: \(columns.sorted())")
        #expect(columns.contains(2) && columns.contains(105))
    }

    @Test("candles built from known ticks: first change opens, last closes, extremes, volume traded, flat when nothing changed")
    func candlesFromTicks() {
        func point(_ seq: UInt64, _ ts: Int64, _ price: Int64, _ volume: Int64) -> PriceHistory.Point {
            PriceHistory.Point(seq: seq, ts: ts, price: Hundredths(raw: price), volume: volume)
        }
        let points = [
            point(1, -5, 9_900, 0), point(2, 1, 10_000, 10), point(3, 3, 10_500, 15), point(4, 7, 9_800, 18),
            point(5, 12, 9_850, 20), point(6, 35, 9_990, 26),
        ]
        let candles = Candle.build(from: points, start: 0, duration: 10, count: 4)
        let expected = [
            Candle(
                open: Hundredths(raw: 10_000), high: Hundredths(raw: 10_500), low: Hundredths(raw: 9_800), close: Hundredths(raw: 9_800), volume: 18),
            Candle(open: Hundredths(raw: 9_850), high: Hundredths(raw: 9_850), low: Hundredths(raw: 9_850), close: Hundredths(raw: 9_850), volume: 2),
            Candle(open: Hundredths(raw: 9_850), high: Hundredths(raw: 9_850), low: Hundredths(raw: 9_850), close: Hundredths(raw: 9_850), volume: 0),
            Candle(open: Hundredths(raw: 9_990), high: Hundredths(raw: 9_990), low: Hundredths(raw: 9_990), close: Hundredths(raw: 9_990), volume: 6),
        ]
        #expect(candles == expected)
        #expect(candles[0]?.isUp == false && candles[3]?.isUp == true)
        #expect(
            Candle.build(from: Array(points.dropFirst(4)), start: 0, duration: 10, count: 2) == [
                nil,
                Candle(
                    open: Hundredths(raw: 9_850), high: Hundredths(raw: 9_850), low: Hundredths(raw: 9_850), close: Hundredths(raw: 9_850), volume: 0),
            ])
    }

    @Test("candles: up solid and down shaded, so they differ without colour; up and down roles for the palettes")
    func candleLook() {
        let grid = DashboardView.render(Self.chartModel(width: 120, height: 40, keys: [.character("c")]))
        var bodies: [Character: Set<ColorRole>] = [:]
        for y in 0..<grid.height {
            for x in 0..<grid.width where ["█", "▒"].contains(grid[x, y].character) && y < 34 {
                bodies[grid[x, y].character, default: []].insert(grid[x, y].style.role)
            }
        }
        #expect(bodies["█"] == [.up] && bodies["▒"] == [.down], "\(bodies)")
    }

    @Test("Enter opens the selected symbol and fetches its history; ←/→ switch and fetch; c, + and - change the look; Esc goes back")
    func keys() {
        let table = DashboardFixture.model(width: 120, height: 40)
        var (model, commands) = DashboardFixture.press([.down, .enter], on: table)
        #expect(model.chart?.symbol == "MSFT" && commands == [.fetchHistory("MSFT")])
        #expect(model.chart?.history == .loading)
        (model, commands) = DashboardFixture.press([.right], on: model)
        #expect(model.chart?.symbol == "GOOGL" && commands == [.fetchHistory("GOOGL")] && model.selection == 2)
        (model, commands) = DashboardFixture.press([.left, .left, .left], on: model)
        #expect(model.chart?.symbol == "XOM", "← wraps round to the last row")
        (model, _) = DashboardFixture.press([.character("c"), .character("+"), .character("+"), .character("+")], on: model)
        #expect(model.chart?.candles == true && model.chart?.timeFrameIndex == 0)
        (model, _) = DashboardFixture.press(Array(repeating: .character("-"), count: 9), on: model)
        #expect(model.chart?.timeFrameIndex == ChartState.timeFrames.count - 1)
        (model, commands) = DashboardFixture.press([.right], on: model)
        #expect(model.chart?.candles == true && model.chart?.symbol == "AAPL", "the look stays when switching symbols")
        (model, commands) = DashboardFixture.press([.escape], on: model)
        #expect(model.chart == nil && model.selection == 0 && commands.isEmpty)
        #expect(DashboardView.render(model).text.contains("SYMBOL"), "the table again")
        (_, commands) = DashboardFixture.press([.enter, .character("q")], on: model)
        #expect(commands.last == .quit)
    }

    @Test("the chart grows with every pushed tick of its symbol; history merges in front; a reconnection fetches it again")
    func pushedTicksAndHistory() {
        var model = DashboardFixture.press([.enter], on: DashboardFixture.model(width: 120, height: 40, ticks: 20)).0
        var simulator = PriceSimulator(catalog: DashboardFixture.catalog, seed: 99, activity: 1)
        for tick in 1...5 {
            let step = simulator.step(timestamp: model.now + Int64(tick) * 100_000)
            model =
                DashboardUpdate.update(
                    model,
                    .client(
                        .message(
                            .quotes(seq: UInt64(100 + tick), ts: model.now, quotes: step.quotes, conflated: nil), receivedAt: model.now, bytes: 1,
                            wireBytes: 1), now: model.now)
                ).0
        }
        #expect(model.chart?.points.map(\.seq) == [101, 102, 103, 104, 105])
        let history = (95...102).map { PriceHistory.Point(seq: UInt64($0), ts: Int64($0), price: Hundredths(raw: 100), volume: 1) }
        model = DashboardUpdate.update(model, .history(symbol: "AAPL", points: history)).0
        #expect(model.chart?.points.map(\.seq) == Array(95...105).map(UInt64.init), "one point per seq, in order")
        #expect(model.chart?.history == .loaded(points: 8))
        #expect(DashboardUpdate.update(model, .history(symbol: "MSFT", points: [])).0 == model, "another symbol's answer is ignored")
        let (_, commands) = DashboardUpdate.update(
            model, .client(.open(protocol: "ticker.v1", handshake: DashboardFixture.handshake), now: model.now))
        #expect(commands == [.fetchHistory("AAPL")])
        let failed = DashboardUpdate.update(
            DashboardFixture.press([.enter], on: DashboardFixture.model(width: 120, height: 40)).0, .historyFailed(symbol: "AAPL", reason: "503"))
        #expect(failed.0.chart?.history == .failed("503"))
        #expect(DashboardView.render(failed.0).text.contains("No history (503); the chart fills as ticks arrive"))
    }

    @Test("a small terminal: fewer labels and no volume, then a message saying what the chart needs")
    func smallTerminal() {
        let small = DashboardView.render(Self.chartModel(width: 60, height: 16)).text
        #expect(
            !small.contains("≤") && small.contains("AAPL") && !Self.brailleCells(DashboardView.render(Self.chartModel(width: 60, height: 16))).isEmpty
        )
        let tiny = DashboardView.render(Self.chartModel(width: 40, height: 11)).text
        #expect(tiny.contains("The chart needs"), "\(tiny)")
        let large = DashboardView.render(Self.chartModel(width: 120, height: 40)).text
        #expect(large.contains("≤"))
    }
}
