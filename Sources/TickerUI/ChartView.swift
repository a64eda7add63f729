import TickerClient
import TickerCore

/// The detail view of one symbol, drawn into a rectangle of the grid: a title and the day's figures, the price as a
/// braille line (or OHLC candles) over the chosen time frame with a price axis on round values and a time axis, the
/// previous close as a dotted line, and volume bars under it. Pure, like the rest of the view.
enum ChartView {
    /// The smallest rectangle the chart draws in; below it a message says what it needs.
    static let minimumSize = (width: 36, height: 8)
    /// Columns the price labels take at the right (`┤ 1,234.56`).
    static let axisWidth = 11
    /// A stretch with no change longer than this many ticks, and ten times the series' usual spacing, breaks the line:
    /// the client was away (and the history did not reach back), or the feed paused.
    static let gapTicks: Int64 = 20

    static func draw(_ model: DashboardModel, _ chart: ChartState, in rect: DashboardLayout.Rect, into grid: inout CellGrid) {
        guard rect.width >= minimumSize.width, rect.height >= minimumSize.height else {
            let message = "The chart needs \(minimumSize.width)×\(minimumSize.height + 4); this terminal is \(model.width)×\(model.height)"
            grid.put(message, x: rect.x + 1, y: rect.y + rect.height / 2, style: CellStyle(.warning), maxWidth: rect.width - 1)
            return
        }
        let row = model.shownMarket.rows[chart.symbol]
        let titleRows = drawTitle(model, chart, row: row, in: rect, into: &grid)
        // Rows: title and figures, the plot, the time axis and its labels, two rows of volume when there is room.
        let volumeRows = rect.height >= 14 ? 2 : 0
        let plot = DashboardLayout.Rect(
            x: rect.x, y: rect.y + titleRows, width: rect.width - axisWidth, height: rect.height - titleRows - 2 - volumeRows)
        let tick = Int64(model.tickMilliseconds ?? 100) * 1000
        let end = max(model.now, chart.points.last?.ts ?? 0)
        let start = end - chart.timeFrameMicroseconds
        let visible = chart.points.filter { $0.ts >= start && $0.ts <= end }
        let before = chart.points.last { $0.ts < start }
        guard !visible.isEmpty || before != nil else {
            let message =
                switch chart.history {
                case .loading: "Loading \(chart.symbol)'s history…"
                case .failed(let reason): "No history (\(reason)); the chart fills as ticks arrive"
                case .loaded: "No change of \(chart.symbol) in the last \(chart.timeFrameMicroseconds / 1_000_000) s"
                }
            grid.put(message, x: plot.x + 2, y: plot.y + plot.height / 2, style: CellStyle(.dim), maxWidth: plot.width - 2)
            return
        }
        // Candles: one per two columns, each covering a whole number of ticks.
        let candleCount = plot.width / 2
        let candleTicks = max(1, (chart.timeFrameMicroseconds / Int64(max(1, candleCount)) + tick / 2) / tick)
        let candleDuration = candleTicks * tick
        let candleStart = end - candleDuration * Int64(candleCount)
        let candles = chart.candles ? Candle.build(from: chart.points, start: candleStart, duration: candleDuration, count: candleCount) : []

        var prices = visible.map(\.price) + (before.map { [$0.price] } ?? [])
        for candle in candles.compactMap({ $0 }) { prices += [candle.high, candle.low] }
        let range = ChartAxis.priceRange(low: prices.min()!, high: prices.max()!)
        let scale = PriceScale(low: range.low, high: range.high, rows: plot.height)
        let quoteRole: ColorRole = row.map { $0.quote.change.raw > 0 ? .up : $0.quote.change.raw < 0 ? .down : .normal } ?? .normal

        if chart.candles {
            drawCandles(candles, scale: scale, in: plot, into: &grid)
        } else {
            var canvas = BrailleCanvas(columns: plot.width, rows: plot.height)
            let (dotWidth, dotHeight) = (canvas.dotWidth, canvas.dotHeight)
            if let prevClose = row?.quote.prevClose, prevClose >= range.low, prevClose <= range.high {
                let y = scale.dot(prevClose, height: dotHeight)
                for x in stride(from: 0, to: dotWidth, by: 4) { canvas.set(x: x, y: y, role: .dim) }
            }
            func dot(_ point: PriceHistory.Point) -> (x: Int, y: Int) {
                (Int((Double(point.ts - start) / Double(end - start) * Double(dotWidth - 1)).rounded()), scale.dot(point.price, height: dotHeight))
            }
            let spacings = zip(visible.dropFirst(), visible).map { $0.ts - $1.ts }.sorted()
            let gap = max(gapTicks * tick, 10 * (spacings.isEmpty ? 0 : spacings[spacings.count / 2]))
            var last: PriceHistory.Point? = before
            for point in visible {
                if let last, point.ts - last.ts <= gap {
                    canvas.line(from: dot(last), to: dot(point), role: quoteRole)
                } else {
                    canvas.set(x: dot(point).x, y: dot(point).y, role: quoteRole)
                }
                last = point
            }
            // While connected, no news is no change: the latest price holds, and the line runs on to the right edge.
            if let last, model.readyState == .open {
                canvas.line(from: dot(last), to: (dotWidth - 1, dot(last).y), role: quoteRole)
            }
            canvas.draw(into: &grid, x: plot.x, y: plot.y)
        }
        drawPriceAxis(scale, prevClose: row?.quote.prevClose, in: plot, into: &grid)
        drawTimeAxis(start: start, end: end, in: plot, into: &grid)
        if volumeRows > 0 {
            let bars =
                chart.candles
                ? candles.flatMap { [$0?.volume ?? 0, 0] }
                : Candle.build(from: chart.points, start: start, duration: max(1, (end - start) / Int64(plot.width)), count: plot.width)
                    .map { $0?.volume ?? 0 }
            drawVolume(bars, in: DashboardLayout.Rect(x: plot.x, y: plot.y + plot.height + 2, width: plot.width, height: volumeRows), into: &grid)
        }
        let mode = chart.candles ? "candles, 1 per \(candleTicks) ticks" : "line"
        let frame = " \(mode) · \(Formatting.seconds(chart.timeFrameMicroseconds)) "
        grid.put(frame, x: rect.x + rect.width - frame.count - 1, y: rect.y, style: CellStyle(.dim))
    }

    /// Prices to rows of the plot: the top row is `high`, the bottom `low`.
    struct PriceScale {
        let low: Hundredths
        let high: Hundredths
        let rows: Int

        /// The dot row (0 at the top) of `price` on a canvas `height` dots high.
        func dot(_ price: Hundredths, height: Int) -> Int {
            Int((Double(high.raw - price.raw) / Double(high.raw - low.raw) * Double(height - 1)).rounded())
        }

        /// The cell row (0 at the top) of `price`.
        func row(_ price: Hundredths) -> Int { dot(price, height: rows * 4) / 4 }
    }

    /// The symbol, its name, price and change on the first row; the day's figures on the next one or two (as the
    /// width allows). Returns the rows used.
    private static func drawTitle(
        _ model: DashboardModel, _ chart: ChartState, row: MarketState.Row?, in rect: DashboardLayout.Rect, into grid: inout CellGrid
    ) -> Int {
        var x = rect.x + 1
        x += grid.put(chart.symbol, x: x, y: rect.y, style: CellStyle(.accent, bold: true)) + 2
        if let name = model.shownMarket.names[chart.symbol] { x += grid.put(name, x: x, y: rect.y, style: CellStyle(.dim)) + 2 }
        guard let quote = row?.quote else {
            grid.put("not subscribed: no quotes", x: x, y: rect.y, style: CellStyle(.warning))
            return 2
        }
        let role: ColorRole = quote.change.raw > 0 ? .up : quote.change.raw < 0 ? .down : .normal
        x += grid.put(Formatting.price(quote.price), x: x, y: rect.y, style: CellStyle(bold: true)) + 1
        grid.put("\(Formatting.signed(quote.change)) (\(Formatting.percent(quote.changePct)))", x: x, y: rect.y, style: CellStyle(role))
        let figures = [
            "open \(Formatting.price(quote.open))", "prev close \(Formatting.price(quote.prevClose)) ┈",
            "range \(Formatting.price(quote.low))–\(Formatting.price(quote.high))",
            "bid \(Formatting.price(quote.bid))  ask \(Formatting.price(quote.ask))", "spread \(Formatting.price(quote.ask - quote.bid))",
            "volume \(Formatting.compact(quote.volume))",
        ]
        var y = rect.y + 1
        x = rect.x + 1
        for figure in figures {
            if x > rect.x + 1, x + figure.count > rect.x + rect.width {
                y += 1
                x = rect.x + 1
            }
            x += grid.put(figure, x: x, y: y, maxWidth: rect.x + rect.width - x) + 2
        }
        return y - rect.y + 1
    }

    private static func drawCandles(_ candles: [Candle?], scale: PriceScale, in plot: DashboardLayout.Rect, into grid: inout CellGrid) {
        for (index, candle) in candles.enumerated() {
            guard let candle else { continue }
            let x = plot.x + index * 2
            let role: ColorRole = candle.isUp ? .up : .down
            let top = scale.row(max(candle.open, candle.close))
            let bottom = scale.row(min(candle.open, candle.close))
            for y in scale.row(candle.high)...scale.row(candle.low) {
                grid[x, plot.y + y] = Cell("│", style: CellStyle(role))
            }
            // Up candles solid, down candles shaded: told apart without colour too.
            for y in top...bottom {
                grid[x, plot.y + y] = Cell(top == bottom ? "━" : candle.isUp ? "█" : "▒", style: CellStyle(role))
            }
        }
    }

    private static func drawPriceAxis(_ scale: PriceScale, prevClose: Hundredths?, in plot: DashboardLayout.Rect, into grid: inout CellGrid) {
        let x = plot.x + plot.width
        for y in 0..<plot.height { grid[x, plot.y + y] = Cell("│", style: CellStyle(.dim)) }
        // A label every third row or so; fewer on a short chart.
        for price in ChartAxis.priceTicks(low: scale.low, high: scale.high, count: max(2, plot.height / 3)) {
            let y = plot.y + scale.row(price)
            grid[x, y] = Cell("┤", style: CellStyle(.dim))
            grid.put(Formatting.price(price), x: x + 2, y: y, style: CellStyle(.dim), maxWidth: axisWidth - 2)
        }
        if let prevClose, prevClose >= scale.low, prevClose <= scale.high {
            grid.put("┈", x: x + 1, y: plot.y + scale.row(prevClose), style: CellStyle(.dim))
        }
    }

    private static func drawTimeAxis(start: Int64, end: Int64, in plot: DashboardLayout.Rect, into grid: inout CellGrid) {
        let y = plot.y + plot.height
        grid.fill(x: plot.x, y: y, width: plot.width, height: 1, character: "─", style: CellStyle(.dim))
        grid[plot.x + plot.width, y] = Cell("┘", style: CellStyle(.dim))
        let labelWidth = 8  // HH:MM:SS
        for time in ChartAxis.timeTicks(start: start, end: end, count: max(1, plot.width / (labelWidth + 4))) {
            let column = Int((Double(time - start) / Double(end - start) * Double(plot.width - 1)).rounded())
            grid[plot.x + column, y] = Cell("┬", style: CellStyle(.dim))
            let labelX = min(max(plot.x, plot.x + column - labelWidth / 2), plot.x + plot.width - labelWidth)
            grid.put(Formatting.clock(microseconds: time), x: labelX, y: y + 1, style: CellStyle(.dim))
        }
    }

    private static func drawVolume(_ volumes: [Int64], in rect: DashboardLayout.Rect, into grid: inout CellGrid) {
        let levels: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        guard let largest = volumes.max(), largest > 0 else { return }
        let steps = rect.height * 8
        for (column, volume) in volumes.prefix(rect.width).enumerated() where volume > 0 {
            var height = max(1, Int((Double(volume) / Double(largest) * Double(steps)).rounded()))
            for row in (0..<rect.height).reversed() {
                let fill = min(8, height)
                grid[rect.x + column, rect.y + row] = Cell(levels[fill], style: CellStyle(.dim))
                height -= fill
                if height <= 0 { break }
            }
        }
        // The scale beside the bars: the tallest bar's volume.
        grid.put(" vol", x: rect.x + rect.width + 1, y: rect.y, style: CellStyle(.dim))
        grid.put(" ≤\(Formatting.compact(largest))", x: rect.x + rect.width + 1, y: rect.y + rect.height - 1, style: CellStyle(.dim))
    }
}
