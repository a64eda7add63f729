/// The demo's server pane: the server side of the same push, seen from inside the process.
enum ServerPaneView {
    static func draw(_ server: ServerPaneState, in rect: DashboardLayout.Rect, into grid: inout CellGrid) {
        guard rect.width > 4, rect.height > 2 else { return }
        grid.fill(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
        grid.fill(x: rect.x, y: rect.y, width: rect.width, height: 1, character: "─", style: CellStyle(.dim))
        if rect.y == 0 {
            grid.fill(x: rect.x, y: rect.y, width: rect.width, height: 1, style: CellStyle(.title, reverse: true))
        }
        grid.put(
            " Server (ticker serve, in this process) ", x: rect.x + 1, y: rect.y, style: CellStyle(.title, bold: true, reverse: rect.y == 0),
            maxWidth: rect.width - 2)
        let stats: [(String, String)] = [
            ("listening", server.url),
            ("clients", "\(server.connectedClients)"),
            ("pushed", "\(server.framesPerSecond) frames/s, \(Formatting.bytes(server.bytesPerSecond))/s"),
            ("feed", "\(server.ticks) ticks, \(server.conflatedTicks) conflated"),
        ]
        var y = rect.y + 1
        let sideBySide = rect.y == 0
        if sideBySide {
            for (label, value) in stats where y < rect.y + rect.height {
                grid.put(Formatting.left(label, 10), x: rect.x + 1, y: y, style: CellStyle(.dim))
                grid.put(value, x: rect.x + 11, y: y, style: CellStyle(.accent), maxWidth: rect.width - 12)
                y += 1
            }
        } else {
            let line = stats.map { "\($0.0) \($0.1)" }.joined(separator: "   ")
            grid.put(line, x: rect.x + 1, y: y, style: CellStyle(.accent), maxWidth: rect.width - 2)
            y += 1
        }
        guard y < rect.y + rect.height else { return }
        grid.put("log", x: rect.x + 1, y: y, style: CellStyle(.dim, bold: true))
        y += 1
        let room = rect.y + rect.height - y
        for line in server.logLines.suffix(max(0, room)) {
            grid.put(line, x: rect.x + 1, y: y, style: .plain, maxWidth: rect.width - 2)
            y += 1
        }
    }
}
