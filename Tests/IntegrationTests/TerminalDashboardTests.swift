import Foundation
import Testing
import TickerServer

/// A private tmux server running one command in a pane of a given size.
struct TmuxSession {
    let socket = "ticker-test-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    let name = "dashboard"

    /// Runs a tmux command and returns its standard output.
    ///
    /// Spawned with `posix_spawnp` and `waitpid` rather than Foundation's `Process`: the tmux server a new session
    /// starts would inherit `Process`'s internal pipe, and `waitUntilExit` would then wait for the server to end.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Nothing else of this process may leak into the long-lived tmux server (other tests' pipes among them).
        let inherited = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in inherited.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        // Nor its signal mask: the calling thread may block SIGHUP and SIGTERM, and a tmux server (and the dashboards in
        // its panes) that inherited that mask would survive kill-server.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = (["tmux", "-L", socket] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawnp(&pid, "tmux", &actions, &attributes, argv, environ) == 0 else {
            throw TestFailure("cannot start tmux: is it installed? (CI installs it)")
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw TestFailure("tmux \(arguments.first ?? "") failed with status \(status)") }
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    func start(_ command: String, width: Int, height: Int) throws {
        try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", command])
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", name]) }

    /// One queue for every session's polling: `tmux` waits for its process (`waitpid`), which must not hold one of
    /// the cooperative pool's few threads while every other test needs them.
    private static let polling = DispatchQueue(label: "tmux polling")

    /// ``tmux(_:)`` on the polling queue rather than a cooperative thread.
    func tmuxOffPool(_ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Self.polling.async { continuation.resume(with: Result { try tmux(arguments) }) }
        }
    }

    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

    /// Waits (at most `timeout`) until the screen satisfies `condition`; returns that screen.
    func waitForScreen(timeout: Duration = .seconds(20), _ what: String, _ condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let text = try await tmuxOffPool(["capture-pane", "-p", "-t", name])
            if condition(text) { return text }
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what); the screen was:\n\(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func kill() { _ = try? tmux(["kill-server"]) }
}

extension ExternalProcesses {
    @Suite("The real ncurses dashboard in a pseudo-terminal (tmux)", .timeLimit(.minutes(2)))
    struct TerminalDashboardTests {
        @Test("draws the live table, answers keys and resizes, and q restores the terminal with exit 0")
        func liveDashboard() async throws {
            try await TestServer.with({ $0.activity = 1 }) { server, _ in
                let binary = try TickerBinary.url().path
                let tmux = TmuxSession()
                defer { tmux.kill() }
                // After the dashboard exits the pane prints the exit status and the terminal modes, then waits.
                try tmux.start(
                    "\(binary) watch --url ws://127.0.0.1:\(server.port)/ws --symbols NVDA,AMZN,MSFT; echo EXIT:$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 60",
                    width: 120, height: 30)
                let table = try await tmux.waitForScreen("the live table") {
                    $0.contains("OPEN") && $0.contains(" NVDA ") && ($0.contains("▲ ") || $0.contains("▼ "))
                }
                #expect(table.contains("protocol ticker.v1"))
                for column in ["SYMBOL", "LAST", "CHG%", "BID", "ASK", "VOLUME", "TREND"] { #expect(table.contains(column)) }

                // As subscribed means the server's order (the catalog's: MSFT, AMZN, NVDA); `s` sorts by symbol.
                #expect(Self.rowOrder(table, of: ["NVDA", "AMZN", "MSFT"]) == ["MSFT", "AMZN", "NVDA"], "\(table)")
                try tmux.send("s")
                // (The status line's "sort: symbol" gives way to the node's name at 120 columns; the rows show the order.)
                let sorted = try await tmux.waitForScreen("sorting by symbol") {
                    Self.rowOrder($0, of: ["NVDA", "AMZN", "MSFT"]) == ["AMZN", "MSFT", "NVDA"]
                }
                #expect(sorted.contains("  on \(ProcessInfo.processInfo.hostName):\(server.port)  "), "the node this dashboard is on: \(sorted)")
                try tmux.send("h")
                let handshake = try await tmux.waitForScreen("the handshake pane") { $0.contains("HTTP/1.1 101 Switching Protocols") }
                #expect(
                    handshake.split(separator: "\n").contains { $0.contains("← Sec-WebSocket-Accept: ") && $0.hasSuffix("✓") },
                    "the Accept value recomputed from the key matches: \(handshake)")
                // The frames pane: the server's frames, header decoded (the client's own are checked in FeedClientTests).
                try tmux.send("h")
                try tmux.send("w")
                _ = try await tmux.waitForScreen("the frames pane with the server's frames") { screen in
                    screen.contains("Frames (w)")
                        && screen.split(separator: "\n").contains {
                            $0.contains("← ") && $0.contains("FIN RSV1") && $0.contains(" text ") && $0.contains("no mask") && $0.contains("-bit)")
                        }
                }
                try tmux.send("w")
                try tmux.tmux(["resize-window", "-t", tmux.name, "-x", "60", "-y", "20"])
                // At 60 columns the table keeps the columns of highest priority that fit whole, in display order. (Until the
                // dashboard redraws, tmux shows the wide layout cut at 60 columns: NAME still there, TREND gone.)
                let header = { (screen: String) in
                    screen.split(separator: "\n").first { $0.hasPrefix(" SYMBOL") }.map { $0.split(separator: " ").map(String.init) } ?? []
                }
                let narrow = try await tmux.waitForScreen("the narrow layout") { header($0).last == "TREND" }
                #expect(header(narrow) == ["SYMBOL", "LAST", "CHG", "CHG%", "BID", "TREND"], "\(narrow)")

                try tmux.send("q")
                let after = try await tmux.waitForScreen("the exit and the terminal modes") { $0.contains("EXIT:") && $0.contains("icanon") }
                #expect(after.contains("EXIT:0"))
                #expect(after.contains("icanon echo"), "the terminal is back in canonical mode with echo:\n\(after)")
            }
        }

        @Test("Enter opens the selected symbol's chart; c candles, → the next symbol, + a shorter time frame, Esc the table")
        func chartKeys() async throws {
            try await TestServer.with({ $0.activity = 1 }) { server, _ in
                let binary = try TickerBinary.url().path
                let tmux = TmuxSession()
                defer { tmux.kill() }
                try tmux.start("\(binary) watch --url ws://127.0.0.1:\(server.port)/ws --symbols MSFT,AMZN,NVDA; sleep 60", width: 120, height: 36)
                _ = try await tmux.waitForScreen("the live table") { $0.contains("OPEN") && $0.contains(" NVDA ") }
                // The first row is MSFT (the catalog's order).
                try tmux.send("Enter")
                let line = try await tmux.waitForScreen("MSFT's chart, drawn from its history") { screen in
                    screen.contains("Microsoft") && screen.contains("line · 1 min")
                        && screen.unicodeScalars.filter { (0x2801...0x28FF).contains($0.value) }.count >= 10
                }
                #expect(line.contains("prev close") && line.contains("Esc table") && !line.contains("SYMBOL"))
                try tmux.send("c")
                _ = try await tmux.waitForScreen("candles") { $0.contains("candles, 1 per") }
                try tmux.send("Right")
                _ = try await tmux.waitForScreen("the next symbol, still candles") { $0.contains("Amazon") && $0.contains("candles, 1 per") }
                try tmux.send("+")
                _ = try await tmux.waitForScreen("a 30 s time frame") { $0.contains("· 30 s") }
                try tmux.send("Escape")
                let table = try await tmux.waitForScreen("the table again") { $0.contains("SYMBOL") && $0.contains(" NVDA ") }
                #expect(!table.contains("candles"))
                try tmux.send("q")
            }
        }

        /// The order in which `symbols` appear as rows (the first word of a line) on a screen.
        static func rowOrder(_ screen: String, of symbols: Set<String>) -> [String] {
            screen.split(separator: "\n").compactMap { line in
                line.split(separator: " ").first { symbols.contains(String($0)) }.map(String.init)
            }
        }

        @Test("an unreachable server: the terminal is restored first, then a clear message, exit 1")
        func unreachable() async throws {
            let binary = try TickerBinary.url().path
            let tmux = TmuxSession()
            defer { tmux.kill() }
            try tmux.start("\(binary) watch --url ws://127.0.0.1:1/ws; echo EXIT:$?; sleep 60", width: 100, height: 20)
            let screen = try await tmux.waitForScreen("the exit") { $0.contains("EXIT:") }
            #expect(screen.contains("cannot reach ws://127.0.0.1:1/ws") && screen.contains("EXIT:1"))
            #expect(!screen.contains("SYMBOL"), "the message is printed on the restored screen, not under the dashboard")
        }

        @Test("the terminal going away (its window closed) ends the dashboard instead of leaving it running")
        func hangUp() async throws {
            try await TestServer.with { server, _ in
                let tmux = TmuxSession()
                defer { tmux.kill() }
                // The dashboard is the pane's own process, so the pane's pid is the dashboard's.
                try tmux.start("\(try TickerBinary.url().path) watch --url ws://127.0.0.1:\(server.port)/ws --symbols AAPL", width: 100, height: 30)
                _ = try await tmux.waitForScreen("the live dashboard") { $0.contains("OPEN") && $0.contains(" AAPL ") }
                let pid = try #require(
                    Int32(try tmux.tmux(["display-message", "-p", "-t", tmux.name, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)))
                tmux.kill()
                try await eventually(timeout: .seconds(10), "the dashboard to exit after its terminal closed") { kill(pid, 0) != 0 }
            }
        }

        /// The command's shell in the pane, and the dashboard it started (its only child).
        private func dashboardPID(_ tmux: TmuxSession) throws -> Int32 {
            let shell = try tmux.tmux(["display-message", "-p", "-t", tmux.name, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
            let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
            return try #require(children.split(separator: " ").first.flatMap { Int32($0) }, "no dashboard under the pane's shell")
        }

        @Test("SIGINT and SIGTERM end the dashboard with the terminal restored (canonical mode, echo) and exit 0", arguments: [SIGINT, SIGTERM])
        func signalsRestoreTheTerminal(signal: Int32) async throws {
            try await TestServer.with { server, _ in
                let tmux = TmuxSession()
                defer { tmux.kill() }
                try tmux.start(
                    "\(try TickerBinary.url().path) watch --url ws://127.0.0.1:\(server.port)/ws --symbols AAPL; echo EXIT:$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 60",
                    width: 100, height: 30)
                _ = try await tmux.waitForScreen("the live dashboard") { $0.contains("OPEN") && $0.contains(" AAPL ") }
                kill(try dashboardPID(tmux), signal)
                let after = try await tmux.waitForScreen("the exit and the terminal modes") { $0.contains("EXIT:") && $0.contains("icanon") }
                #expect(after.contains("EXIT:0"), "\(after)")
                #expect(after.contains("icanon echo"), "the terminal is back in canonical mode with echo:\n\(after)")
                #expect(!after.contains("SYMBOL"), "the dashboard's screen is gone (curses ended, the shell's screen is back)")
            }
        }

        @Test(
            "colour follows the palette: green/red by default, blue/orange for color-blind, none with NO_COLOR or monochrome",
            arguments: [
                ("", ["\u{1B}[32m", "\u{1B}[31m"], [], true),
                (" --palette color-blind", ["\u{1B}[34m", "\u{1B}[38;5;208m"], ["\u{1B}[32m", "\u{1B}[31m"], true),
                (" --palette monochrome", [], [], false), (" --no-color", [], [], false),
            ] as [(String, [String], [String], Bool)])
        func palettes(_ flags: String, _ expected: [String], _ absent: [String], _ coloured: Bool) async throws {
            try await TestServer.with({ $0.activity = 1 }) { server, _ in
                let tmux = TmuxSession()
                defer { tmux.kill() }
                // `swift test` itself runs with NO_COLOR=1, which the pane would inherit.
                try tmux.start(
                    "env -u NO_COLOR \(try TickerBinary.url().path) watch --url ws://127.0.0.1:\(server.port)/ws --symbols '*'\(flags)",
                    width: 140, height: 40)
                _ = try await tmux.waitForScreen("the live table") { $0.contains("OPEN") && $0.contains(" AAPL ") }
                // The screen with its attributes: SGR escape sequences for colours, bold, underline.
                let styled = try await tmux.waitForStyledScreen("the up and down colours") { screen in
                    expected.allSatisfy(screen.contains) && (screen.contains("▲") && screen.contains("▼"))
                }
                let foregrounds = styled.matches(of: /\u{1B}\[(?:[0-9;]*;)?(3[0-7]|9[0-7]|38;5;\d+)m/).count
                for sequence in absent { #expect(!styled.contains(sequence), "\(flags): the standard green and red are not used") }
                if coloured {
                    #expect(foregrounds > 0)
                } else {
                    #expect(foregrounds == 0, "no colour at all: \(styled.prefix(400))")
                    #expect(styled.contains("\u{1B}[1m") || styled.contains("\u{1B}[4m"), "direction shown by bold and underline")
                }
            }
        }

        @Test("NO_COLOR in the environment turns colour off like --no-color")
        func noColorEnvironment() async throws {
            try await TestServer.with({ $0.activity = 1 }) { server, _ in
                let tmux = TmuxSession()
                defer { tmux.kill() }
                try tmux.start(
                    "env NO_COLOR=1 \(try TickerBinary.url().path) watch --url ws://127.0.0.1:\(server.port)/ws --symbols '*'",
                    width: 140, height: 40)
                let styled = try await tmux.waitForStyledScreen("the live table") { $0.contains("OPEN") && $0.contains("▲") }
                #expect(styled.matches(of: /\u{1B}\[(?:[0-9;]*;)?(3[0-7]|9[0-7]|38;5;\d+)m/).isEmpty)
            }
        }

        @Test("ticker demo: the dashboard and the server pane side by side, connected to its own server; q quits both, exit 0")
        func demo() async throws {
            let tmux = TmuxSession()
            defer { tmux.kill() }
            try tmux.start("\(try TickerBinary.url().path) demo --tick-ms 50; echo EXIT:$?; sleep 60", width: 160, height: 40)
            let screen = try await tmux.waitForScreen("the demo's two panes") {
                $0.contains("OPEN") && $0.contains(" AAPL ") && $0.contains("clients") && $0.contains("client 1 connected")
            }
            #expect(screen.contains("protocol ticker.v1"))
            try tmux.send("q")
            let after = try await tmux.waitForScreen("the demo to end") { $0.contains("EXIT:") }
            #expect(after.contains("EXIT:0"), "\(after)")
        }
    }
}

extension TmuxSession {
    /// Like ``waitForScreen(timeout:_:_:)``, with the cells' attributes as escape sequences (`capture-pane -e`).
    func waitForStyledScreen(timeout: Duration = .seconds(20), _ what: String, _ condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let text = try await tmuxOffPool(["capture-pane", "-e", "-p", "-t", name])
            if condition(text) { return text }
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what); the screen was:\n\(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
