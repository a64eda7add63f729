import Foundation
import Testing
import TickerClient
import TickerCore

@testable import TickerUI

@Suite("Dashboard view on the cell grid")
struct DashboardViewTests {
    @Test("golden text at 80x24 and 120x40", arguments: [(80, 24), (120, 40)])
    func golden(width: Int, height: Int) throws {
        let grid = DashboardView.render(DashboardFixture.model(width: width, height: height))
        let (expected, actual) = try DashboardFixture.golden("dashboard-\(width)x\(height)", grid.text)
        #expect(actual == expected)
        #expect(grid.width == width && grid.height == height)
    }

    @Test("golden text of the events and handshake panes at 120x40")
    func panesGolden() throws {
        let (model, _) = DashboardFixture.press([.character("e"), .character("h")], on: DashboardFixture.model(width: 120, height: 40))
        let (expected, actual) = try DashboardFixture.golden("panes-120x40", DashboardView.render(model).text)
        #expect(actual == expected)
    }

    @Test("the handshake pane recomputes Sec-WebSocket-Accept from the key (the RFC's example) and marks a mismatch")
    func acceptCheck() {
        #expect(Handshake.accept(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        var model = DashboardFixture.press([.character("h")], on: DashboardFixture.model(width: 120, height: 40)).0
        #expect(DashboardView.render(model).text.contains("← Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  ✓"))
        let wrong = Handshake(
            request: DashboardFixture.handshake.request,
            response: DashboardFixture.handshake.response.map { $0.hasPrefix("Sec-WebSocket-Accept") ? "Sec-WebSocket-Accept: AAAA" : $0 })
        model.handshake = wrong
        let text = DashboardView.render(model).text
        #expect(text.contains("← Sec-WebSocket-Accept: AAAA  ✗ expected") && text.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
    }

    @Test("golden text of the help pane at 80x24")
    func helpGolden() throws {
        let (model, _) = DashboardFixture.press([.character("?")], on: DashboardFixture.model(width: 80, height: 24))
        let text = DashboardView.render(model).text
        let (expected, actual) = try DashboardFixture.golden("help-80x24", text)
        #expect(actual == expected)
        #expect(text.contains("readyState") && text.contains("bufferedAmount"))
    }

    @Test("the header shows the URL, readyState, protocol, rates, latency, seq and the clock")
    func header() {
        let grid = DashboardView.render(DashboardFixture.model(width: 120, height: 40))
        let top = grid.line(0)
        #expect(top.contains("ws://127.0.0.1:8080/ws") && top.contains("OPEN") && top.contains("protocol ticker.v1"))
        #expect(top.contains("SIMULATED DATA") && top.contains("06:00:02"))
        let second = grid.line(1)
        #expect(second.contains("msg/s") && second.contains("latency p50 1.") && second.contains("p99") && second.contains("seq 20"))
        #expect(second.contains("conflated 0") && second.contains("buffered 0 B") && second.contains("reconnects 0"))
        let stateCell = grid[top.distance(to: "●"), 0]
        #expect(stateCell.style.role == .up)
    }

    @Test("a changed cell flashes, in the direction's colour, and stops flashing")
    func flashing() throws {
        var model = DashboardFixture.model(width: 120, height: 40)
        let row = try #require(model.market.rows["AAPL"])
        let aaplLine = try #require((0..<40).first { DashboardView.render(model).line($0).hasPrefix(" AAPL") })
        let lastColumn = DashboardView.render(model).line(2).distance(to: "LAST") - 6
        model.now = row.updatedAt + 100_000
        model.selection = 5
        var cell = DashboardView.render(model)[lastColumn + 4, aaplLine]
        #expect(cell.style.reverse, "a fresh change is highlighted")
        #expect(cell.style.role == (row.direction == .up ? .up : .down))
        model.now = row.updatedAt + DashboardModel.flashMicroseconds + 1
        cell = DashboardView.render(model)[lastColumn + 4, aaplLine]
        #expect(!cell.style.reverse, "the highlight fades")
    }

    @Test("changes are green up and red down by sign, whatever the palette does with it")
    func changeColours() throws {
        let model = DashboardFixture.model(width: 120, height: 40)
        let grid = DashboardView.render(model)
        let percentColumn = grid.line(2).distance(to: "CHG%")
        for (offset, symbol) in model.orderedSymbols.enumerated() {
            let quote = try #require(model.market.rows[symbol]).quote
            let role = grid[percentColumn + 3, 3 + offset].style.role
            #expect(role == (quote.change.raw > 0 ? .up : quote.change.raw < 0 ? .down : .normal), "\(symbol)")
        }
    }

    @Test("narrow terminals drop columns by priority; a tiny one says it is too small")
    func narrow() {
        let wide = DashboardView.render(DashboardFixture.model(width: 160, height: 30)).line(2)
        for column in ["SYMBOL", "NAME", "LAST", "CHG", "CHG%", "BID", "ASK", "VOLUME", "HIGH", "LOW", "TREND"] {
            #expect(wide.contains(column))
        }
        let narrow = DashboardView.render(DashboardFixture.model(width: 50, height: 20)).line(2)
        #expect(narrow.contains("SYMBOL") && narrow.contains("LAST") && narrow.contains("CHG%") && narrow.contains("TREND"))
        #expect(!narrow.contains("NAME") && !narrow.contains("VOLUME") && !narrow.contains("BID"))
        let tiny = DashboardView.render(DashboardFixture.model(width: 30, height: 8)).text
        #expect(tiny.contains("Terminal too small") && tiny.contains("30x8; need 40x10"))
    }

    @Test("the events pane lists the lifecycle events and messages")
    func eventsPane() {
        var model = DashboardFixture.model(width: 100, height: 40)
        model = DashboardUpdate.update(model, .client(.close(code: 1001, reason: "server shutting down", wasClean: true), now: model.now)).0
        model = DashboardUpdate.update(model, .client(.reconnectScheduled(attempt: 1, delay: .milliseconds(540)), now: model.now)).0
        model = DashboardFixture.press([.character("e")], on: model).0
        let text = DashboardView.render(model).text
        for line in [
            "CONNECTING ws://127.0.0.1:8080/ws", "open: protocol ticker.v1", "message: welcome, 60 symbols", "message: subscribed, 12 symbol(s)",
            "message: snapshot, 12 quote(s) at seq 0", "close: 1001 server shutting down", "reconnecting in 0.5 s (attempt 1)",
            "20 quotes messages",
        ] {
            #expect(text.contains(line), "missing \(line)")
        }
        #expect(text.contains("CLOSED"))
    }

    @Test("the table scrolls to keep the selection visible")
    func scrolling() {
        var model = DashboardFixture.model(width: 80, height: 14, symbols: 30)
        model = DashboardFixture.press(Array(repeating: .down, count: 20), on: model).0
        let grid = DashboardView.render(model)
        #expect(model.selection == 20)
        #expect(model.scroll > 0)
        let visible = (3..<(3 + DashboardLayout(model).visibleRows)).map(grid.line)
        #expect(visible.contains { $0.hasPrefix(" " + model.orderedSymbols[20]) })
        #expect(grid.line(13).contains("rows \(model.scroll + 1)-"))
    }
}

extension String {
    /// The column where `needle` starts.
    fileprivate func distance(to needle: String) -> Int {
        guard let range = range(of: needle) else { return -1 }
        return self[..<range.lowerBound].count
    }
}
