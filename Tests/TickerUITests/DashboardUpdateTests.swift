import Testing
import TickerClient
import TickerCore

@testable import TickerUI

@Suite("Dashboard update: keys, sorting, commands, client state")
struct DashboardUpdateTests {
    @Test("s cycles the sort: as subscribed, symbol, change %, price, volume")
    func sorting() {
        let model = DashboardFixture.model(width: 120, height: 40)
        let subscribed = DashboardFixture.catalog.symbols.prefix(12).map(\.symbol)
        #expect(model.orderedSymbols == subscribed)
        var sorted = model
        for expected in [SortMode.symbol, .changePercent, .price, .volume, .subscribed] {
            sorted = DashboardFixture.press([.character("s")], on: sorted).0
            #expect(sorted.sort == expected)
            let rows = sorted.orderedSymbols.map { sorted.market.rows[$0]!.quote }
            switch expected {
            case .symbol: #expect(rows.map(\.symbol) == rows.map(\.symbol).sorted())
            case .changePercent: #expect(rows.map(\.changePct) == rows.map(\.changePct).sorted(by: >))
            case .price: #expect(rows.map(\.price) == rows.map(\.price).sorted(by: >))
            case .volume: #expect(rows.map(\.volume) == rows.map(\.volume).sorted(by: >))
            case .subscribed: #expect(rows.map(\.symbol) == subscribed)
            }
            let grid = DashboardView.render(sorted)
            #expect(grid.line(3).hasPrefix(" " + sorted.orderedSymbols[0]))
        }
    }

    @Test("d unsubscribes the selected symbol; q quits; ? opens help and any key closes it")
    func commands() {
        let model = DashboardFixture.model(width: 120, height: 40)
        let (_, remove) = DashboardFixture.press([.down, .down, .character("d")], on: model)
        #expect(remove == [.unsubscribe([model.orderedSymbols[2]])])
        #expect(DashboardFixture.press([.character("q")], on: model).1 == [.quit])
        let (help, _) = DashboardFixture.press([.character("?")], on: model)
        #expect(help.showHelp)
        let (closed, none) = DashboardFixture.press([.character("x")], on: help)
        #expect(!closed.showHelp && none.isEmpty)
    }

    @Test("a adds a symbol: typing, Tab completion from the welcome list, Enter subscribes, Esc cancels")
    func addSymbol() {
        let model = DashboardFixture.model(width: 120, height: 40)
        let (typing, _) = DashboardFixture.press([.character("a"), .character("s"), .character("b")], on: model)
        #expect(typing.prompt == "SB")
        #expect(DashboardView.render(typing).text.contains("Add symbol: SB"))
        let (completed, commands) = DashboardFixture.press([.tab, .enter], on: typing)
        #expect(commands == [.subscribe(["SBUX"])])
        #expect(completed.prompt == nil)
        let (cancelled, none) = DashboardFixture.press([.character("a"), .character("X"), .escape], on: model)
        #expect(cancelled.prompt == nil && none.isEmpty)
    }

    @Test("p freezes the table while data keeps arriving; p again shows the live state")
    func pause() {
        let model = DashboardFixture.model(width: 120, height: 40, ticks: 1)
        let (paused, _) = DashboardFixture.press([.character("p")], on: model)
        let aapl = paused.market.rows["AAPL"]!.quote
        var moved = aapl
        moved.price = aapl.price + Hundredths(raw: 500)
        let later = DashboardUpdate.update(
            paused,
            .client(
                .message(.quotes(seq: 99, ts: paused.now, quotes: [moved], conflated: nil), receivedAt: paused.now, bytes: 1, wireBytes: 1),
                now: paused.now)
        ).0
        #expect(later.shownMarket.rows["AAPL"]?.quote == aapl)
        #expect(later.market.rows["AAPL"]?.quote == moved)
        #expect(DashboardView.render(later).line(1).contains("PAUSED"))
        let (live, _) = DashboardFixture.press([.character("p")], on: later)
        #expect(live.shownMarket.rows["AAPL"]?.quote == moved)
    }

    @Test("readyState follows the events: CONNECTING, OPEN, CLOSING on quit, CLOSED on close")
    func readyState() {
        var model = DashboardModel(url: "ws://x/ws")
        #expect(model.readyState == .connecting)
        model = DashboardUpdate.update(model, .client(.open(protocol: "ticker.v1", handshake: DashboardFixture.handshake), now: 1)).0
        #expect(model.readyState == .open && model.negotiatedProtocol == "ticker.v1")
        model = DashboardFixture.press([.character("q")], on: model).0
        #expect(model.readyState == .closing)
        model = DashboardUpdate.update(model, .client(.close(code: 1000, reason: "", wasClean: true), now: 2)).0
        #expect(model.readyState == .closed)
    }

    @Test("a resume and a resynchronisation are said in the events pane, with the seq, the node and the ticks folded")
    func resumeEvents() {
        var model = DashboardFixture.model(width: 120, height: 40, ticks: 20)
        let welcome = ServerMessage.welcome(symbols: [], tickIntervalMs: 100, heartbeatIntervalMs: 5000, epoch: "e", seq: 20, node: "edge-2")
        model = DashboardUpdate.update(model, .client(.message(welcome, receivedAt: 1, bytes: 10, wireBytes: 10), now: 1)).0
        #expect(model.node == "edge-2")
        let resumed = ServerMessage.quotes(seq: 26, ts: 1, quotes: [], conflated: 5, resumed: true)
        model = DashboardUpdate.update(model, .client(.message(resumed, receivedAt: 2, bytes: 10, wireBytes: 10), now: 2)).0
        #expect(model.events.last?.text == "resumed from seq 20 on edge-2 (5 ticks folded)")
        #expect(DashboardView.render(model).line(1).contains("seq 26  on edge-2"))
        let fresh = ServerMessage.snapshot(seq: 3, ts: 1, quotes: [], epoch: "f", resumed: false)
        model = DashboardUpdate.update(model, .client(.message(fresh, receivedAt: 3, bytes: 10, wireBytes: 10), now: 3)).0
        #expect(model.events.last?.text == "resynchronised (new epoch): snapshot of 0 quote(s) at seq 3")
        #expect(model.stats.lastSeq == 3, "a new epoch's seq starts again")
    }
}

@Suite("Client state: market, statistics, backoff")
struct ClientStateTests {
    @Test("snapshot then quotes: history, direction and update time per symbol")
    func market() {
        let model = DashboardFixture.model(width: 80, height: 24, ticks: 120)
        let row = model.market.rows["AAPL"]!
        #expect(row.history.count == MarketState.historyLength)
        #expect(row.history.last == row.quote.price)
        #expect(row.updatedAt > DashboardFixture.start)
    }

    @Test("unsubscribed symbols leave the table; later subscriptions keep their order")
    func subscriptions() {
        var market = MarketState()
        market.apply(.subscribed(symbols: ["AAPL", "MSFT"]), receivedAt: 0)
        market.apply(.subscribed(symbols: ["MSFT", "NVDA", "AAPL"]), receivedAt: 0)
        #expect(market.subscriptionOrder == ["AAPL", "MSFT", "NVDA"])
        market.apply(.subscribed(symbols: ["NVDA"]), receivedAt: 0)
        #expect(market.subscriptionOrder == ["NVDA"])
    }

    @Test("latency percentiles, messages per second, conflation and reconnects")
    func statistics() {
        var stats = ConnectionStats()
        stats.recordOpen()
        stats.recordOpen()
        #expect(stats.reconnects == 1)
        for index in 1...100 {
            let message = ServerMessage.quotes(seq: UInt64(index), ts: 0, quotes: [], conflated: index == 50 ? 3 : nil)
            stats.recordMessage(message, receivedAt: Int64(index) * 1_000, bytes: 10, wireBytes: 10)
        }
        #expect(stats.compressionRatio == nil, "nothing came compressed")
        #expect(stats.latency(percentile: 0.5) == 50_000)
        #expect(stats.latency(percentile: 0.99) == 99_000)
        #expect(stats.lastSeq == 100 && stats.conflatedTicks == 3)
        var compressed = ConnectionStats()
        compressed.recordMessage(.heartbeat(seq: 1, ts: 0), receivedAt: 0, bytes: 8000, wireBytes: 1600)
        #expect(compressed.compressionRatio == 5)
        #expect(stats.messagesPerSecond(now: 100_000) == 100)
        #expect(stats.messagesPerSecond(now: 1_050_000) == 50)
        #expect(stats.messagesPerSecond(now: 1_100_000) == 0)
    }

    @Test("backoff grows from about 0.5 s to about 10 s, with jitter")
    func backoff() {
        var generator = SystemRandomNumberGenerator()
        let backoff = Backoff()
        for _ in 0..<50 {
            let first = backoff.delay(attempt: 1, using: &generator)
            #expect(first >= .milliseconds(400) && first <= .milliseconds(600))
            let fourth = backoff.delay(attempt: 4, using: &generator)
            #expect(fourth >= .milliseconds(3200) && fourth <= .milliseconds(4800))
            let late = backoff.delay(attempt: 30, using: &generator)
            #expect(late >= .seconds(8) && late <= .seconds(12))
        }
    }
}
