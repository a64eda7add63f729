import ArgumentParser
import Logging
import TickerClient
import TickerUI

/// `ticker tour`: the lesson, chapter by chapter, live against a server (one started in this process unless `--url`
/// names one), down to the bytes.
struct Tour: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The lesson: polling, long polling and WebSockets in eight chapters, live against a server, down to the bytes.",
        discussion: """
            → or space: next chapter, ←: back, i: the index, 1-8: jump, q: quit; each chapter lists its own keys.
            With --headless, every chapter (or only --chapter N) runs by itself until it has shown its evidence, and its
            transcript is printed; the exit status is 1 if a chapter could not show all of it in --chapter-timeout-s.
            """)

    @Option(help: "A ticker server's WebSocket URL (ws://host:port/ws). Default: start one in this process, tuned for the lesson.")
    var url: String?
    @Option(help: "Start at chapter N (1-8); with --headless, run only that chapter.") var chapter: Int?
    @Flag(help: "Print each chapter's live transcript as plain text, with no terminal UI.") var headless = false
    @Option(name: .customLong("chapter-timeout-s"), help: "With --headless: the longest a chapter may take to show its evidence.")
    var chapterTimeoutS = 90
    @OptionGroup var display: DisplayOptions

    func validate() throws {
        if let chapter, TourChapter(rawValue: chapter) == nil { throw ValidationError("--chapter must be from 1 to 8, got \(chapter)") }
        if let url {
            do {
                _ = try WebSocketURL(url)
            } catch {
                throw ValidationError("--url: \(error)")
            }
        }
        guard chapterTimeoutS >= 1 else { throw ValidationError("--chapter-timeout-s must be at least 1") }
    }

    /// The embedded server's settings: ticks slow enough to follow by eye, and a small send buffer and a short
    /// slow-consumer timeout so that chapter 7's stalled reader is conflated, then closed, within seconds.
    static let embeddedServerArguments = ["--tick-ms", "200", "--socket-send-buffer", "16384", "--slow-consumer-ms", "3000"]

    func run() async throws {
        var embedded: EmbeddedServer?
        let target: WebSocketURL
        if let url {
            target = try WebSocketURL(url)
        } else {
            var logger = Logger(label: "ticker.tour.server")
            logger.logLevel = headless ? .warning : .critical
            let server = try ServerOptions.parse(Self.embeddedServerArguments).makeServer(host: "127.0.0.1", port: 0, logger: logger)
            let started = try await EmbeddedServer.start(server, logger: logger)
            embedded = started
            target = try WebSocketURL("ws://127.0.0.1:\(started.port)/ws")
        }
        let http: TourHTTP
        do {
            http = try await TourHTTP.start(for: target)
        } catch {
            await embedded?.stop()
            throw ValidationError("cannot start the tour's counting proxy on 127.0.0.1: \(error)")
        }
        let start = chapter.flatMap(TourChapter.init(rawValue:))
        var succeeded = true
        if headless {
            let chapters = start.map { [$0] } ?? TourChapter.allCases
            succeeded = await HeadlessTour.run(chapters, url: target, http: http, timeout: .seconds(chapterTimeoutS))
        } else {
            await InteractiveTour.run(url: target, http: http, from: start ?? .polling, palette: display.effectivePalette)
        }
        await http.stop()
        await embedded?.stop()
        if !succeeded { throw ExitCode(1) }
    }
}
