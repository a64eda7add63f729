import TickerCore

/// `view(model)` for the tour: a title bar, the chapter's explanation beside its live evidence (one above the other on
/// a narrow terminal), and a footer with the keys. The index is drawn over it.
public enum TourView {
    /// Width from which explanation and live evidence sit side by side.
    public static let sideBySideWidth = 100

    public static func render(_ model: TourModel) -> CellGrid {
        var grid = CellGrid(width: max(model.width, 1), height: max(model.height, 1))
        let width = grid.width
        let height = grid.height
        drawTitle(model, into: &grid)
        let bodyTop = 1
        let bodyHeight = max(0, height - 2)
        let checklist = TourEvidence.checklist(model, model.chapter).map { item -> TourLive.Line in
            ((item.met ? "✓ " : "· ") + item.label, CellStyle(item.met ? .up : .dim))
        }
        if width >= sideBySideWidth {
            // The frames need the room: their explanation column is narrower.
            let left = model.chapter == .frames ? min(36, width / 3) : min(48, width * 2 / 5)
            let explanation = explanationLines(model.chapter, width: left - 2)
            for (offset, line) in explanation.prefix(bodyHeight).enumerated() {
                grid.put(line.text, x: 1, y: bodyTop + 1 + offset, style: line.style, maxWidth: left - 2)
            }
            for y in bodyTop..<(bodyTop + bodyHeight) { grid.put("│", x: left, y: y, style: CellStyle(.dim)) }
            let liveWidth = width - left - 2
            let live = checklist + [("", .plain)] + TourLive.lines(model, model.chapter)
            drawLive(live, x: left + 2, y: bodyTop + 1, width: liveWidth, height: bodyHeight - 1, into: &grid)
        } else {
            let explanation = explanationLines(model.chapter, width: width - 2)
            let room = max(0, bodyHeight - 1)
            let shown = Array(explanation.prefix(room / 2))
            for (offset, line) in shown.enumerated() {
                grid.put(line.text, x: 1, y: bodyTop + 1 + offset, style: line.style, maxWidth: width - 2)
            }
            let liveTop = bodyTop + 1 + shown.count
            grid.put(String(repeating: "─", count: width), x: 0, y: liveTop, style: CellStyle(.dim))
            let live = checklist + TourLive.lines(model, model.chapter)
            drawLive(live, x: 1, y: liveTop + 1, width: width - 2, height: bodyTop + bodyHeight - liveTop - 1, into: &grid)
        }
        drawFooter(model, into: &grid)
        if model.showingIndex { drawIndex(model, into: &grid) }
        return grid
    }

    /// The explanation as wrapped lines: the chapter's title, then its paragraphs with a blank line between.
    static func explanationLines(_ chapter: TourChapter, width: Int) -> [TourLive.Line] {
        var lines: [TourLive.Line] = [("\(chapter.number). \(chapter.title)", CellStyle(.title, bold: true)), ("", .plain)]
        for (index, paragraph) in chapter.explanation.enumerated() {
            if index > 0 { lines.append(("", .plain)) }
            lines += TextWrap.lines(paragraph, width: width).map { ($0, .plain) }
        }
        return lines
    }

    /// The live lines, the figures at the top and the newest log lines at the bottom: when they do not fit, the
    /// oldest log lines go.
    private static func drawLive(_ lines: [TourLive.Line], x: Int, y: Int, width: Int, height: Int, into grid: inout CellGrid) {
        guard height > 0, width > 0 else { return }
        let wrapped = lines.flatMap { line in TextWrap.lines(line.text, width: width, indent: "    ").map { ($0, line.style) } }
        var shown = wrapped
        if wrapped.count > height {
            // Keep the figures (everything up to the first log line, which is dim) and the newest of the rest.
            let headCount = min(wrapped.firstIndex { $0.1.role == .dim && !$0.0.hasPrefix("· ") } ?? wrapped.count, height)
            shown = Array(wrapped.prefix(headCount)) + Array(wrapped.dropFirst(headCount).suffix(height - headCount))
        }
        for (offset, line) in shown.prefix(height).enumerated() {
            grid.put(line.0, x: x, y: y + offset, style: line.1, maxWidth: width)
        }
    }

    private static func drawTitle(_ model: TourModel, into grid: inout CellGrid) {
        let style = CellStyle(.title, bold: true, reverse: true)
        grid.fill(x: 0, y: 0, width: grid.width, height: 1, style: style)
        let chapter = model.chapter
        grid.put(" ticker tour · \(chapter.number)/\(TourChapter.allCases.count) \(chapter.title)", x: 0, y: 0, style: style)
        var right = model.url
        if let best = model.webSocket.clock.best {
            right = "clock \(Formatting.offset(microseconds: best.offset))  rtt \(Formatting.duration(microseconds: best.roundTrip))  " + right
        }
        right += " "
        let x = grid.width - right.count
        if x > 40 { grid.put(right, x: x, y: 0, style: style) }
    }

    private static func drawFooter(_ model: TourModel, into grid: inout CellGrid) {
        let y = grid.height - 1
        guard y > 0 else { return }
        var x = 1
        let keys = [("←", "back"), ("→", "next"), ("i", "index"), ("q", "quit")] + model.chapter.keys
        for (key, action) in keys {
            x += grid.put(key, x: x, y: y, style: CellStyle(.accent, bold: true))
            x += grid.put(" \(action)  ", x: x, y: y, style: CellStyle(.dim))
        }
    }

    private static func drawIndex(_ model: TourModel, into grid: inout CellGrid) {
        let chapters = TourChapter.allCases
        let boxWidth = min(grid.width - 2, 52)
        let boxHeight = chapters.count + 4
        let left = max(0, (grid.width - boxWidth) / 2)
        let top = max(1, (grid.height - boxHeight) / 2)
        grid.fill(x: left, y: top, width: boxWidth, height: boxHeight)
        grid.put("┌" + String(repeating: "─", count: boxWidth - 2) + "┐", x: left, y: top, style: CellStyle(.accent))
        grid.put(" Chapters ", x: left + 2, y: top, style: CellStyle(.accent, bold: true))
        for row in 1..<(boxHeight - 1) {
            grid.put("│", x: left, y: top + row, style: CellStyle(.accent))
            grid.put("│", x: left + boxWidth - 1, y: top + row, style: CellStyle(.accent))
        }
        grid.put("└" + String(repeating: "─", count: boxWidth - 2) + "┘", x: left, y: top + boxHeight - 1, style: CellStyle(.accent))
        for (offset, chapter) in chapters.enumerated() {
            let done = TourEvidence.complete(model, chapter) ? "✓" : " "
            let selected = chapter == model.indexSelection
            let text = Formatting.left(" \(chapter.number)  \(chapter.title)", boxWidth - 6) + " \(done) "
            grid.put(text, x: left + 2, y: top + 1 + offset, style: CellStyle(selected ? .accent : .normal, bold: selected, reverse: selected))
        }
        grid.put(" ↑↓ choose  enter go  1-8 jump  esc close", x: left + 1, y: top + boxHeight - 2, style: CellStyle(.dim), maxWidth: boxWidth - 2)
    }
}
