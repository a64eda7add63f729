import Foundation
import Synchronization
import TickerClient
import TickerUI

/// `ticker tour --headless`: each chapter in turn, with a fresh program and fresh labs, its keys pressed by
/// ``TourScript`` as the live state calls for them, until its checklist is complete or the timeout passes; then its
/// transcript goes to standard output.
enum HeadlessTour {
    /// Says whether every chapter showed all its evidence.
    static func run(_ chapters: [TourChapter], url: WebSocketURL, http: TourHTTP, timeout: Duration) async -> Bool {
        var allShown = true
        for chapter in chapters {
            let pressed = Mutex<Set<String>>([])
            let run = TourRun(url: url, http: http, chapter: chapter, render: nil) { model, program in
                if TourEvidence.complete(model, chapter) { return false }
                if let (name, key) = TourScript.next(model, chapter, sent: pressed.withLock { $0 }) {
                    pressed.withLock { _ = $0.insert(name) }
                    program.send(.key(key))
                }
                return true
            }
            await run.run([
                { program in
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    program.send(.interrupt)
                }
            ])
            let model = run.program.model
            writeLine(TourTranscript.text(model, chapter))
            let missing = TourEvidence.checklist(model, chapter).filter { !$0.met }.map(\.label)
            if !missing.isEmpty {
                allShown = false
                writeError(
                    "ticker tour: chapter \(chapter.number) (\(chapter.title)) did not show, within \(timeout): "
                        + missing.joined(separator: "; "))
            }
        }
        return allShown
    }
}
