import TickerClient
import TickerTerminal
import TickerUI
import UnixSignals

/// The tour in the terminal: keys, resizes and signals become messages of one ``TourProgram``; its views go to the
/// ``TerminalScreen``, which is restored on every way out.
enum InteractiveTour {
    static func run(url: WebSocketURL, http: TourHTTP, from chapter: TourChapter, palette: Palette) async {
        // Trap the signals before curses starts, so ncurses leaves them to us and we restore the terminal ourselves.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm, .sighup)
        let screen = TerminalScreen(palette: palette)
        screen.start()
        let run = TourRun(url: url, http: http, chapter: chapter, render: screen.render)
        await run.run([
            { program in
                for await input in screen.input {
                    switch input {
                    case .key(let key): program.send(.key(key))
                    case .resize(let width, let height): program.send(.resize(width: width, height: height))
                    case .hangUp: program.send(.interrupt)
                    }
                }
            },
            { program in
                for await _ in signals { program.send(.interrupt) }
            },
        ])
        screen.stop()
    }
}
