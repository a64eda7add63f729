import Foundation
import TickerClient
import TickerCore
import TickerTerminal
import TickerUI
import UnixSignals

/// The ncurses dashboard wired up: terminal keys and resizes, the feed client's events, a clock and the signals all
/// become messages of one ``DashboardProgram``; its views go to the ``TerminalScreen``; its commands go to the client.
/// The terminal is restored on every way out, and only then is anything printed.
struct InteractiveDashboard {
    let client: FeedClient
    let model: DashboardModel
    let palette: Palette
    /// Extra producers of messages (the demo's server pane); they run until the dashboard quits.
    var companions: [@Sendable (DashboardProgram) async -> Void] = []

    enum Outcome: Sendable {
        case quit
        case clientEnded
        case connectFailed(String)
    }

    /// Runs until `q`, SIGINT/SIGTERM or a failed first connection. Returns the failure message, if any.
    func run() async -> String? {
        // Trap the signals before curses starts, so ncurses leaves them to us and we restore the terminal ourselves.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm, .sighup)
        let screen = TerminalScreen(palette: palette)
        screen.start()
        let client = self.client
        let history = HistoryClient(client.configuration)
        let (historyRequests, requestHistory) = AsyncStream.makeStream(of: String.self)
        let program = DashboardProgram(model: model, render: screen.render) { command in
            switch command {
            case .subscribe(let symbols): client.subscribe(symbols)
            case .unsubscribe(let symbols): client.unsubscribe(symbols)
            case .fetchHistory(let symbol): requestHistory.yield(symbol)
            case .quit: client.close()
            }
        }
        let failure = await withTaskGroup(of: Outcome?.self) { group -> String? in
            group.addTask {
                for await input in screen.input {
                    switch input {
                    case .key(let key): program.send(.key(key))
                    case .resize(let width, let height): program.send(.resize(width: width, height: height))
                    case .hangUp: program.send(.interrupt)
                    }
                }
                return nil
            }
            group.addTask {
                for await event in client.events { program.send(.client(event, now: WallClock.nowMicroseconds())) }
                return nil
            }
            group.addTask {
                while !Task.isCancelled {
                    program.send(.clock(now: WallClock.nowMicroseconds()))
                    program.send(.bufferedAmount(client.bufferedAmount))
                    try? await Task.sleep(for: .milliseconds(250))
                }
                return nil
            }
            group.addTask {
                for await _ in signals { program.send(.interrupt) }
                return nil
            }
            group.addTask {
                for await symbol in historyRequests { program.send(await history.message(for: symbol)) }
                return nil
            }
            for companion in companions {
                group.addTask {
                    await companion(program)
                    return nil
                }
            }
            group.addTask {
                do {
                    try await client.run()
                    return .clientEnded
                } catch {
                    return .connectFailed("\(error)")
                }
            }
            group.addTask {
                await program.run()
                return .quit
            }
            var failure: String?
            while let outcome = await group.next() {
                switch outcome {
                case .connectFailed(let message)?:
                    failure = message
                case .quit?:
                    // The client got its close command; give the closing handshake a moment, then stop everything.
                    group.addTask {
                        try? await Task.sleep(for: .seconds(2))
                        return .clientEnded
                    }
                    continue
                case .clientEnded?:
                    break
                case nil:
                    continue
                }
                break
            }
            group.cancelAll()
            return failure
        }
        screen.stop()
        return failure
    }
}
