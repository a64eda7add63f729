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

    @Test("a frame's length is written in 7 bits up to 125, then 16 bits up to 65,535, then 64 bits (RFC 6455 §5.2)")
    func lengthForms() {
        let forms = [0, 125, 126, 65_535, 65_536].map {
            FrameRecord(direction: .received, time: 0, fin: true, opcode: 1, length: $0, head: []).lengthForm
        }
        #expect(forms == ["7-bit", "7-bit", "16-bit", "16-bit", "64-bit"])
    }

    @Test("the frames pane decodes each frame's header: FIN, RSV, opcode, mask and key, length and its form, first bytes")
    func framesPane() {
        var model = DashboardFixture.press([.character("w")], on: DashboardFixture.model(width: 120, height: 40)).0
        #expect(model.showFrames && DashboardView.render(model).text.contains("No frames yet."))
        let text = Array(#"{"type":"quotes","seq":1}"#.utf8)
        for record in [
            FrameRecord(
                direction: .received, time: DashboardFixture.start, fin: true, rsv1: true, opcode: 0x1, length: 2431, head: Array(text.prefix(12))),
            FrameRecord(
                direction: .sent, time: DashboardFixture.start, fin: true, opcode: 0x9, maskKey: [0x3F, 0xA1, 0x09, 0xC2], length: 0, head: []),
            FrameRecord(direction: .received, time: DashboardFixture.start, fin: false, opcode: 0x2, length: 70_000, head: [0, 1, 2]),
            FrameRecord(direction: .received, time: DashboardFixture.start, fin: true, opcode: 0x8, length: 125, head: [0x03, 0xE8]),
        ] {
            model = DashboardUpdate.update(model, .client(.frame(record), now: DashboardFixture.start)).0
        }
        let lines = DashboardView.render(model).text.split(separator: "\n").map(String.init)
        #expect(
            lines.contains {
                $0.contains("← 06:00:00  FIN RSV1 · ·") && $0.contains("text") && $0.contains("no mask") && $0.contains("len 2431 (16-bit)")
                    && $0.contains("7b 22 74 79 70 65 22 3a 22 71 75 6f …")
            })
        #expect(
            lines.contains {
                $0.contains("→ 06:00:00  FIN") && $0.contains("ping") && $0.contains("MASK 3f a1 09 c2") && $0.contains("len 0 (7-bit)")
            })
        #expect(lines.contains { $0.contains("←") && !$0.contains("FIN") && $0.contains("binary") && $0.contains("len 70000 (64-bit)") })
        #expect(lines.contains { $0.contains("close") && $0.contains("len 125 (7-bit)") && $0.contains("03 e8") })
        for _ in 0..<(DashboardModel.frameLogLimit + 10) {
            model =
                DashboardUpdate.update(
                    model, .client(.frame(FrameRecord(direction: .sent, time: 0, fin: true, opcode: 0xA, length: 0, head: [])), now: 0)
                ).0
        }
        #expect(model.frames.count == DashboardModel.frameLogLimit, "bounded")
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
