import Foundation
import Testing
import TickerCore

extension ExternalProcesses {
    @Suite("Faults: the server killed with SIGKILL and restarted while dashboards watch", .timeLimit(.minutes(3)))
    struct FaultTests {
        @Test("the ncurses, headless and browser dashboards show the close (1006), retry while it is down, and resynchronise after the restart")
        func killAndRestart() async throws {
            // The restart reuses the port, so it is taken below Linux's ephemeral range (32768-60999): no server another
            // test binds to port 0 can take it in between.
            for attempt in 1...5 {
                do {
                    try await killAndRestart(port: Int.random(in: 20_000..<30_000))
                    return
                } catch let error as TestFailure where error.description.hasPrefix("the server did not start") && attempt < 5 {
                    continue
                }
            }
        }

        private func startServer(port: Int) async throws -> ChildProcess {
            let server = try ChildProcess(
                try TickerBinary.url(), ["serve", "--port", "\(port)", "--tick-ms", "50", "--activity", "1", "--log-level", "error"])
            do {
                _ = try await server.line(within: .seconds(20), "the server's URL") { $0.contains("ws://127.0.0.1:\(port)/ws") }
            } catch {
                throw TestFailure("the server did not start on port \(port)")
            }
            return server
        }

        private func killAndRestart(port: Int) async throws {
            let binary = try TickerBinary.url()
            var server = try await startServer(port: port)
            let url = "ws://127.0.0.1:\(port)/ws"

            // Dashboard 1: the ncurses one, in tmux. Dashboard 2: headless, one JSON line per event. Dashboard 3: the page,
            // in headless Chromium.
            let tmux = TmuxSession()
            defer { tmux.kill() }
            try tmux.start("\(binary.path) watch --url \(url) --symbols AAPL,MSFT; sleep 60", width: 130, height: 40)
            _ = try await tmux.waitForScreen("the live dashboard") { $0.contains("OPEN") && $0.contains(" AAPL ") }
            try tmux.send("e")  // the events pane: the lifecycle as the dashboard logs it
            _ = try await tmux.waitForScreen("the events pane") { $0.contains("open: protocol ticker.v1") }
            let headless = try ChildProcess(
                binary, ["watch", "--headless", "--format", "jsonl", "--url", url, "--symbols", "AAPL", "--duration", "90"])
            _ = try await headless.line("the first quote") { $0.contains(#""event":"quote""#) }
            let browser = try await HeadlessChromium.open("http://127.0.0.1:\(port)/")
            defer { browser.close() }
            let page = HeadlessChromium.dashboardState
            _ = try await browser.waitFor(page, "the page to open and fill") { $0.state == "OPEN" && $0.rows >= 50 }

            server.kill(signal: SIGKILL)
            let close = try await headless.line("the close after SIGKILL") { $0.contains(#""event":"close""#) }
            #expect(close.contains(#""code":1006"#) && close.contains(#""wasClean":false"#), "\(close)")
            _ = try await headless.line("a scheduled reconnect") { $0.contains(#""event":"reconnect""#) }
            _ = try await headless.line("a retry") { $0.contains(#""event":"connecting""#) && !$0.contains(#""attempt":0"#) }
            let down = try await tmux.waitForScreen("the dashboard to show the close and the retries") {
                $0.contains("close: 1006") && $0.contains("reconnecting in")
            }
            #expect(down.contains("CLOSED") || down.contains("CONNECTING"), "\(down)")
            let pageDown = try await browser.waitFor(page, "the page to show the close and a scheduled reconnect") {
                $0.events.contains("close: code 1006") && $0.events.contains("reconnecting in")
            }
            #expect(["CLOSED", "CONNECTING"].contains(pageDown.state), "\(pageDown.state)")

            server = try await startServer(port: port)
            let restarted = ContinuousClock.now
            _ = try await headless.line(within: .seconds(15), "the reconnection") { $0.contains(#""event":"open""#) }
            let snapshot = try await headless.line(within: .seconds(15), "the resubscribed snapshot") {
                $0.contains(#""type":"snapshot""#)
            }
            #expect(snapshot.contains(#""symbol":"AAPL""#))
            _ = try await headless.line(within: .seconds(15), "quotes from the new server") { $0.contains(#""event":"quote""#) }
            let resynchronised = ContinuousClock.now - restarted
            #expect(resynchronised < .seconds(12), "took \(resynchronised) after the restart")
            let back = try await tmux.waitForScreen(timeout: .seconds(15), "the dashboard to reconnect") {
                $0.contains("OPEN") && $0.contains("reconnects 1")
            }
            #expect(back.contains(" AAPL ") && back.contains(" MSFT "))
            let pageBack = try await browser.waitFor(page, "the page to reconnect and refill") {
                $0.state == "OPEN" && $0.rows >= 50 && $0.events.components(separatedBy: "message: snapshot").count >= 3
            }
            #expect(pageBack.protocol == "ticker.v1")
            server.kill(signal: SIGTERM)
            headless.kill(signal: SIGTERM)
        }
    }
}
