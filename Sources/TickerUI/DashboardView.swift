import TickerClient
import TickerCore

/// Draws a ``DashboardModel`` into a ``CellGrid`` of the model's size. Pure: the same model always gives the same grid.
public enum DashboardView {
    /// The smallest terminal the dashboard draws in; below it shows "Terminal too small".
    public static let minimumSize = (width: DashboardLayout.minimumWidth, height: DashboardLayout.minimumHeight)

    public static func render(_ model: DashboardModel) -> CellGrid {
        var grid = CellGrid(width: model.width, height: model.height)
        let layout = DashboardLayout(model)
        if layout.tooSmall {
            drawTooSmall(model, into: &grid)
            return grid
        }
        drawHeader(model, in: layout.header, into: &grid)
        if let chart = model.chart {
            ChartView.draw(model, chart, in: layout.table, into: &grid)
        } else {
            drawTable(model, in: layout.table, into: &grid)
        }
        if layout.lowerPanes.height > 0 { drawLowerPanes(model, in: layout.lowerPanes, into: &grid) }
        drawStatus(model, in: layout.status, into: &grid)
        if model.chart != nil {
            drawFooter(in: layout.footer, keys: chartFooterKeys, indicator: nil, into: &grid)
        } else {
            drawFooter(in: layout.footer, keys: footerKeys, indicator: scrollIndicator(model, visibleRows: layout.visibleRows), into: &grid)
        }
        if let server = model.server { ServerPaneView.draw(server, in: layout.server, into: &grid) }
        if model.showHelp {
            let body = DashboardLayout.Rect(x: 0, y: layout.table.y, width: layout.table.width, height: layout.status.y - layout.table.y)
            HelpView.draw(in: body, into: &grid)
        }
        return grid
    }

    private static func drawTooSmall(_ model: DashboardModel, into grid: inout CellGrid) {
        let lines = [
            "Terminal too small",
            "\(model.width)x\(model.height); need \(DashboardLayout.minimumWidth)x\(DashboardLayout.minimumHeight)",
            "q quits",
        ]
        for (offset, line) in lines.enumerated() {
            let y = model.height / 2 - 1 + offset
            grid.put(line, x: max(0, (model.width - line.count) / 2), y: y, style: CellStyle(offset == 0 ? .warning : .normal, bold: offset == 0))
        }
    }

    // MARK: Header

    static func readyStateStyle(_ state: ReadyState) -> CellStyle {
        switch state {
        case .open: CellStyle(.up, bold: true)
        case .connecting, .closing: CellStyle(.warning, bold: true)
        case .closed: CellStyle(.error, bold: true)
        }
    }

    private static func drawHeader(_ model: DashboardModel, in rect: DashboardLayout.Rect, into grid: inout CellGrid) {
        grid.fill(x: rect.x, y: rect.y, width: rect.width, height: 1, style: CellStyle(.title, reverse: true))
        var x = rect.x
        x += grid.put(" ticker ", x: x, y: rect.y, style: CellStyle(.title, bold: true, reverse: true))
        x += grid.put(" \(model.url) ", x: x, y: rect.y, style: CellStyle(.title, reverse: true))
        x += grid.put(" ● \(model.readyState.rawValue) ", x: x, y: rect.y, style: readyStateStyle(model.readyState))
        let negotiated = model.readyState == .open || model.negotiatedProtocol != nil ? model.negotiatedProtocol ?? "(none)" : "—"
        x += grid.put(" protocol \(negotiated) ", x: x, y: rect.y, style: CellStyle(.title, reverse: true), maxWidth: rect.x + rect.width - x)
        let right = " SIMULATED DATA  \(Formatting.clock(microseconds: model.now)) "
        // The server's clock against ours and the round trip (from pings): the latency below is corrected by it.
        if let clock = model.stats.clock.best {
            let text = " clock \(Formatting.offset(microseconds: clock.offset))  rtt \(Formatting.duration(microseconds: clock.roundTrip)) "
            if x + text.count + right.count + 2 <= rect.x + rect.width {
                x += grid.put(text, x: x, y: rect.y, style: CellStyle(.title, reverse: true))
            }
        }
        if rect.width - (x - rect.x) > right.count + 20 {
            grid.put(right, x: rect.x + rect.width - right.count, y: rect.y, style: CellStyle(.title, reverse: true))
        }

        let stats = model.stats
        var parts: [(String, CellStyle)] = [(String, CellStyle)?]([
            ("\(stats.messagesPerSecond(now: model.now)) msg/s", .plain),
            ("latency p50 \(stats.latency(percentile: 0.5).map { Formatting.duration(microseconds: $0) } ?? "–")", .plain),
            ("p99 \(stats.latency(percentile: 0.99).map { Formatting.duration(microseconds: $0) } ?? "–")", .plain),
            ("seq \(stats.lastSeq)", .plain),
            // The server this connection landed on, beside where it is in the feed (behind a balancer, it changes when
            // a node goes away and the client resumes on another).
            model.node.map { ("on \($0)", CellStyle.plain) },
            ("conflated \(stats.conflatedTicks)", stats.conflatedTicks > 0 ? CellStyle(.warning) : .plain),
            ("buffered \(Formatting.bytes(model.bufferedAmount))", .plain),
            // permessage-deflate: how much smaller the messages were on the wire.
            stats.compressionRatio.map { ("deflate \(String(format1: $0))×", CellStyle.plain) },
            ("reconnects \(stats.reconnects)", stats.reconnects > 0 ? CellStyle(.warning) : .plain),
            ("sort: \(model.sort.rawValue)", CellStyle(.dim)),
        ]).compactMap { $0 }
        if let view = model.viewMicroseconds {
            parts.append(("view \(Formatting.duration(microseconds: Int64(view)))/frame", CellStyle(.dim)))
        }
        if model.isPaused { parts.insert(("PAUSED", CellStyle(.warning, bold: true, reverse: true)), at: 0) }
        x = rect.x + 1
        for (text, style) in parts {
            // What does not fit is left out, and shorter parts after it still get their place.
            guard x + text.count <= rect.x + rect.width else { continue }
            x += grid.put(text, x: x, y: rect.y + 1, style: style) + 2
        }
    }

    // MARK: Table

    private static func drawTable(_ model: DashboardModel, in rect: DashboardLayout.Rect, into grid: inout CellGrid) {
        let columns = TableColumn.layout(width: rect.width - 1)
        var x = rect.x + 1
        for (column, width) in columns {
            let title = column.alignsRight ? Formatting.right(column.title, width) : Formatting.left(column.title, width)
            grid.put(title, x: x, y: rect.y, style: CellStyle(.dim, bold: true))
            x += width + 1
        }
        let market = model.shownMarket
        let symbols = model.orderedSymbols
        if symbols.isEmpty {
            let message =
                model.readyState == .open
                ? (market.subscriptionOrder.isEmpty ? "Not subscribed to any symbol. Press a to add one." : "Waiting for the snapshot…")
                : "Waiting for the server (\(model.readyState.rawValue))…"
            grid.put(message, x: rect.x + 2, y: rect.y + 2, style: CellStyle(.dim))
            return
        }
        let visible = max(0, rect.height - 1)
        for (offset, symbol) in symbols.dropFirst(model.scroll).prefix(visible).enumerated() {
            guard let row = market.rows[symbol] else { continue }
            let y = rect.y + 1 + offset
            let selected = model.scroll + offset == model.selection
            drawRow(row, name: market.names[symbol], columns: columns, model: model, y: y, into: &grid)
            if selected {
                grid.restyle(x: rect.x, y: y, width: rect.width) { $0.reverse.toggle() }
            }
        }
    }

    /// `rows 1-40 of 60`, shown at the right of the footer when the table scrolls.
    static func scrollIndicator(_ model: DashboardModel, visibleRows: Int) -> String? {
        let count = model.orderedSymbols.count
        guard count > visibleRows, visibleRows > 0 else { return nil }
        return " rows \(model.scroll + 1)-\(min(count, model.scroll + visibleRows)) of \(count) "
    }

    private static func drawRow(
        _ row: MarketState.Row, name: String?, columns: [(column: TableColumn, width: Int)], model: DashboardModel,
        y: Int, into grid: inout CellGrid
    ) {
        let quote = row.quote
        let flashing = model.now - row.updatedAt < DashboardModel.flashMicroseconds && row.updatedAt > 0
        let tickRole: ColorRole = row.direction == .up ? .up : row.direction == .down ? .down : .normal
        let changeRole: ColorRole = quote.change.raw > 0 ? .up : quote.change.raw < 0 ? .down : .normal
        var x = 1
        for (column, width) in columns {
            let text: String
            var style = CellStyle.plain
            switch column {
            case .symbol:
                text = quote.symbol
                style = CellStyle(.accent, bold: true)
            case .name:
                text = name ?? ""
                style = CellStyle(.dim)
            case .last:
                let arrow = row.direction == .up ? "▲" : row.direction == .down ? "▼" : " "
                text = arrow + " " + Formatting.price(quote.price)
                style = CellStyle(tickRole, bold: true, reverse: flashing)
            case .change:
                text = Formatting.signed(quote.change)
                style = CellStyle(changeRole, reverse: flashing)
            case .changePercent:
                text = Formatting.percent(quote.changePct)
                style = CellStyle(changeRole, bold: true, reverse: flashing)
            case .bid: text = Formatting.price(quote.bid)
            case .ask: text = Formatting.price(quote.ask)
            case .volume:
                let full = Formatting.grouped(quote.volume)
                text = full.count <= width ? full : Formatting.compact(quote.volume)
            case .high: text = Formatting.price(quote.high)
            case .low: text = Formatting.price(quote.low)
            case .trend:
                text = Sparkline.render(row.history, width: width)
                let first = row.history.first ?? quote.price
                style = CellStyle(quote.price > first ? .up : quote.price < first ? .down : .dim)
            }
            let aligned = column.alignsRight ? Formatting.right(text, width) : Formatting.left(text, width)
            grid.put(aligned, x: x, y: y, style: style, maxWidth: width)
            x += width + 1
        }
    }

    // MARK: Lower panes, status, footer

    private static func drawLowerPanes(_ model: DashboardModel, in rect: DashboardLayout.Rect, into grid: inout CellGrid) {
        var panes: [(title: String, lines: [(String, CellStyle)], right: [(String, CellStyle)])] = []
        if model.showEvents {
            let lines = model.events.map { entry -> (String, CellStyle) in
                let style: CellStyle
                switch entry.kind {
                case .open: style = CellStyle(.up)
                case .close, .error: style = CellStyle(.error)
                case .connecting, .reconnect: style = CellStyle(.warning)
                case .message: style = .plain
                }
                return ("\(Formatting.clock(microseconds: entry.time))  \(entry.text)", style)
            }
            panes.append(("Events (e): open · message · error · close   \(model.quotesMessages) quotes messages", lines, []))
        }
        if model.showHandshake {
            var request: [(String, CellStyle)] = [("No handshake yet.", CellStyle(.dim))]
            var response: [(String, CellStyle)] = []
            if let handshake = model.handshake {
                request = handshake.request.map { ("→ " + $0, CellStyle(.accent)) }
                // The check the client made of the server's answer, done again where it can be seen: ✓ on the Accept line.
                let check = handshake.acceptCheck
                let mark = check.map { $0.received == $0.expected ? "  ✓" : "  ✗ expected \($0.expected)" } ?? ""
                response = handshake.response.map { line in
                    line.lowercased().hasPrefix("sec-websocket-accept:")
                        ? ("← " + line + mark, CellStyle(mark.hasPrefix("  ✓") ? .up : .error, bold: true)) : ("← " + line, CellStyle(.up))
                }
                if check != nil {
                    response += [
                        ("✓ = base64(SHA-1(key + the RFC's GUID)),", CellStyle(.dim)), ("  GUID \(Handshake.acceptGUID)", CellStyle(.dim)),
                    ]
                }
            }
            // Side by side when there is room for both; otherwise the response follows the request.
            let sideBySide = rect.width >= 90
            panes.append(
                (
                    "Handshake (h): the HTTP upgrade as sent (→) and as answered (←)", sideBySide ? request : request + response,
                    sideBySide ? response : []
                ))
        }
        if model.showFrames {
            let lines = model.frames.map { (FrameFormatting.line($0), CellStyle($0.direction == .received ? .up : .accent)) }
            panes.append(
                (
                    "Frames (w): FIN, RSV1-3, opcode, MASK and key, payload length and its header form, the first bytes",
                    lines.isEmpty ? [("No frames yet.", CellStyle(.dim))] : lines, []
                ))
        }
        let heights = (0..<panes.count).map { index in rect.height / panes.count + (index < rect.height % panes.count ? 1 : 0) }
        var y = rect.y
        for (pane, height) in zip(panes, heights) {
            grid.fill(x: rect.x, y: y, width: rect.width, height: 1, character: "─", style: CellStyle(.dim))
            grid.put(" \(pane.title) ", x: rect.x + 2, y: y, style: CellStyle(.title, bold: true), maxWidth: rect.width - 4)
            // Events scroll (newest at the bottom); the handshake reads from the top.
            // Header lines wrap (an extension's parameters run long); event lines are cut at the edge.
            let body = max(0, height - 1)
            let isEvents = pane.title.hasPrefix("Events") || pane.title.hasPrefix("Frames")
            let columnWidth = pane.right.isEmpty ? rect.width - 2 : rect.width / 2 - 2
            let left = isEvents ? pane.lines : wrapped(pane.lines, width: columnWidth)
            let shown = isEvents ? Array(left.suffix(body)) : Array(left.prefix(body))
            for (offset, line) in shown.enumerated() {
                grid.put(line.0, x: rect.x + 1, y: y + 1 + offset, style: line.1, maxWidth: columnWidth)
            }
            for (offset, line) in wrapped(pane.right, width: columnWidth).prefix(body).enumerated() {
                grid.put(line.0, x: rect.x + rect.width / 2, y: y + 1 + offset, style: line.1, maxWidth: columnWidth)
            }
            y += height
        }
    }

    /// Lines longer than `width` continue on indented lines below, broken after a space where there is one.
    private static func wrapped(_ lines: [(String, CellStyle)], width: Int) -> [(String, CellStyle)] {
        let indent = "    "
        guard width > 2 * indent.count else { return lines }
        return lines.flatMap { text, style -> [(String, CellStyle)] in
            var result: [(String, CellStyle)] = []
            var rest = Substring(text)
            var room = width
            while rest.count > room {
                let piece = rest.prefix(room)
                let cut = piece.lastIndex(of: " ").map { piece.distance(from: piece.startIndex, to: $0) + 1 } ?? room
                let length = cut > room / 2 ? cut : room
                result.append(((result.isEmpty ? "" : indent) + rest.prefix(length), style))
                rest = rest.dropFirst(length)
                room = width - indent.count
            }
            result.append(((result.isEmpty ? "" : indent) + rest, style))
            return result
        }
    }

    private static func drawStatus(_ model: DashboardModel, in rect: DashboardLayout.Rect, into grid: inout CellGrid) {
        if let prompt = model.prompt {
            var x = rect.x + 1
            x += grid.put("Add symbol: ", x: x, y: rect.y, style: CellStyle(.accent, bold: true))
            x += grid.put(prompt + "▏", x: x, y: rect.y, style: CellStyle(bold: true))
            let matches = DashboardUpdate.completions(for: prompt, in: model).prefix(8)
            let hint: String
            if prompt.isEmpty {
                hint = "  type a symbol, Tab completes, Enter subscribes, Esc cancels"
            } else if !matches.isEmpty {
                hint = "  Tab: " + matches.joined(separator: " ")
            } else if model.market.available.contains(where: { $0.symbol.hasPrefix(prompt) }) {
                hint = "  every symbol starting with \(prompt) is already subscribed"
            } else {
                hint = "  no symbol starts with \(prompt)"
            }
            grid.put(hint, x: x, y: rect.y, style: CellStyle(.dim), maxWidth: rect.x + rect.width - x)
        } else if let status = model.status {
            grid.put(" " + status, x: rect.x, y: rect.y, style: CellStyle(.warning), maxWidth: rect.width)
        }
    }

    static let footerKeys: [(key: String, action: String)] = [
        ("↑↓", "select"), ("s", "sort"), ("a", "add"), ("d", "remove"), ("p", "pause"), ("e", "events"), ("h", "handshake"),
        ("?", "help"), ("q", "quit"), ("w", "frames"),
    ]

    static let chartFooterKeys: [(key: String, action: String)] = [
        ("Esc", "table"), ("←→", "symbol"), ("c", "candles/line"), ("+-", "time frame"), ("p", "pause"), ("?", "help"),
        ("q", "quit"),
    ]

    private static func drawFooter(
        in rect: DashboardLayout.Rect, keys: [(key: String, action: String)], indicator: String?, into grid: inout CellGrid
    ) {
        grid.fill(x: rect.x, y: rect.y, width: rect.width, height: 1, style: CellStyle(.dim, reverse: true))
        let right = rect.x + rect.width - (indicator?.count ?? 0)
        if let indicator { grid.put(indicator, x: right, y: rect.y, style: CellStyle(.dim, reverse: true)) }
        var x = rect.x + 1
        for (key, action) in keys {
            guard x + key.count + action.count + 2 <= right else { break }
            x += grid.put(key, x: x, y: rect.y, style: CellStyle(.accent, bold: true, reverse: true))
            x += grid.put(" \(action)  ", x: x, y: rect.y, style: CellStyle(.dim, reverse: true))
        }
    }
}
