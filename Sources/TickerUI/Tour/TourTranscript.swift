/// A chapter as plain text, for `ticker tour --headless`: its explanation, its live evidence from this run, and the
/// checklist.
public enum TourTranscript {
    public static let width = 100

    public static func text(_ model: TourModel, _ chapter: TourChapter) -> String {
        var lines: [String] = []
        lines.append("== \(chapter.number)/\(TourChapter.allCases.count) \(chapter.title) ==")
        lines.append("")
        for paragraph in chapter.explanation {
            lines += TextWrap.lines(paragraph, width: width)
            lines.append("")
        }
        lines.append("-- live, \(model.url) --")
        lines += TourLive.lines(model, chapter, logLimit: 30).map(\.text)
        lines.append("")
        lines.append("-- evidence --")
        lines += TourEvidence.checklist(model, chapter).map { ($0.met ? "✓ " : "✗ ") + $0.label }
        return lines.joined(separator: "\n") + "\n"
    }
}
