/// The `?` overlay: the keys, and what each WebSocket concept on the screen means.
enum HelpView {
    static let lines: [String] = [
        "Keys",
        "  ↑↓ j k  select          PgUp PgDn Home End  scroll",
        "  s       sort: as subscribed, symbol, change %, price, volume",
        "  a       add a symbol (Tab completes)   d  remove the selected one",
        "  p       pause rendering (data keeps arriving underneath)",
        "  e       events pane   h  handshake pane   w  frames pane   q  quit",
        "  Enter   chart: Esc back, ←→ symbol, c candles or line, + - time frame",
        "",
        "What you are looking at",
        "  The server PUSHES every tick over one WebSocket; nothing here polls.",
        "  readyState  CONNECTING → OPEN → CLOSING → CLOSED, as in the browser.",
        "  protocol    the subprotocol the server chose in its 101 (ticker.v1).",
        "  latency     now minus the tick's ts: feed to screen, p50 and p99.",
        "  seq         the feed's tick number; gaps = ticks with nothing for you.",
        "  conflated   ticks the server folded together: this client fell behind.",
        "  buffered    bytes queued, not yet taken by the socket (bufferedAmount).",
        "  Events: open, message, error, close (code and reason), reconnects.",
        "  Prices are simulated.                  Any key closes this help.",
    ]

    static func draw(in rect: DashboardLayout.Rect, into grid: inout CellGrid) {
        let width = min(rect.width - 2, (lines.map(\.count).max() ?? 0) + 4)
        let height = min(rect.height, lines.count + 2)
        let x = rect.x + max(1, (rect.width - width) / 2)
        let y = rect.y
        grid.fill(x: x, y: y, width: width, height: height)
        grid.fill(x: x, y: y, width: width, height: 1, character: "─", style: CellStyle(.accent))
        grid.fill(x: x, y: y + height - 1, width: width, height: 1, character: "─", style: CellStyle(.accent))
        grid.put(" Help ", x: x + 2, y: y, style: CellStyle(.title, bold: true))
        for (offset, line) in lines.prefix(height - 2).enumerated() {
            let heading = !line.hasPrefix(" ") && !line.isEmpty
            grid.put(line, x: x + 2, y: y + 1 + offset, style: heading ? CellStyle(.accent, bold: true) : .plain, maxWidth: width - 3)
        }
    }
}
