import Foundation
import Testing
import TickerClient
import TickerServer

extension ExternalProcesses {
    @Suite("ticker tour: the headless transcript against a live server, and the keys in a real terminal", .timeLimit(.minutes(4)))
    struct TourTests {
        /// The transcript's section for chapter `number`.
        static func chapter(_ number: Int, of transcript: String) -> String {
            let parts = transcript.components(separatedBy: "== \(number)/8 ")
            guard parts.count > 1 else { return "" }
            return parts[1].components(separatedBy: "\n== ").first ?? ""
        }

        @Test("--headless runs all eight chapters on its own server, each showing its live evidence, exit 0")
        func headlessTranscript() async throws {
            let run = try await BinaryRun.ticker(["tour", "--headless", "--chapter-timeout-s", "60"], timeout: .seconds(200))
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let text = run.stdout
            #expect(!text.contains("✗ "), "every checklist item met:\n\(text)")
            for number in 1...8 { #expect(Self.chapter(number, of: text).contains("-- evidence --"), "chapter \(number) printed") }

            // 1: polls counted with their bytes; changes missed between slow polls; answers that brought nothing.
            let polling = Self.chapter(1, of: text)
            let requests = polling.firstMatch(of: /requests (\d+)   (\d[\d,]*) B up, (\d[\d,]*) B down/)
            #expect(requests.map { Int($0.1)! >= 4 } == true, "\(polling)")
            #expect(polling.firstMatch(of: /never seen (\d+)/).map { Int($0.1)! > 0 } == true)
            #expect(polling.contains("): nothing new ("))
            // 2: hanging requests, each answered when the feed moved and reissued.
            let longPolling = Self.chapter(2, of: text)
            #expect(longPolling.contains("GET since=") && longPolling.contains("   → 200 after "))
            #expect(longPolling.firstMatch(of: /each update costs (\d[\d,]*) B by long polling, (\d[\d,]*) B as a pushed frame/) != nil)
            // 3: the Accept value, recomputed here from the key the transcript shows, is the server's.
            let handshake = Self.chapter(3, of: text)
            let key = try #require(handshake.firstMatch(of: /→ Sec-WebSocket-Key: (\S+)/)).1
            let accept = try #require(handshake.firstMatch(of: /← Sec-WebSocket-Accept: (\S+)/)).1
            #expect(Handshake.accept(forKey: String(key)) == String(accept))
            #expect(handshake.contains("server sent \(accept)  ✓"))
            #expect(handshake.contains("← HTTP/1.1 101 Switching Protocols") && handshake.contains("chosen ticker.v1"))
            // 4: a masked client frame decoded, its payload shown as the client wrote it.
            let frames = Self.chapter(4, of: text)
            #expect(
                frames.firstMatch(of: /→ FIN · · ·    text   MASK [0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2}  len \d+ \(7-bit\)/) != nil,
                "\(frames)")
            #expect(frames.contains("its payload, unmasked: “{\"type\":"))
            #expect(frames.firstMatch(of: /← FIN .* no mask +len \d+ \((16|64)-bit\)/) != nil)
            // 5: the events, a ping answered, and the closing handshake: both close frames, then CLOSED 1000.
            let events = Self.chapter(5, of: text)
            #expect(events.contains("open    protocol ticker.v1") && events.contains("send    ping (id \"you\")"))
            #expect(events.contains("close frame sent: code 1000") && events.contains("close frame received: code 1000"))
            #expect(events.contains("readyState CLOSED") && events.contains("close   code 1000"))
            // 6: the drop and the reconnection; the flood, rate_limited, then 1008.
            let state = Self.chapter(6, of: text)
            #expect(state.contains("CLOSED     close 1006 (no close frame)") && state.contains("CLOSED     close 1008 rate limit exceeded"))
            #expect(state.contains("message error rate_limited"))
            #expect(state.firstMatch(of: /highest seen (\d[\d,]*) B/).map { $0.1 != "0" } == true)
            // 7: the stalled reader is conflated, then closed as a slow consumer; the healthy client has no gap.
            let backpressure = Self.chapter(7, of: text)
            let conflated = try #require(backpressure.firstMatch(of: /"conflated":(\d+) in one frame/)).1
            #expect(Int(conflated)! >= 1)
            #expect(backpressure.contains("reader ← close 1008 slow consumer"))
            #expect(backpressure.firstMatch(of: /frames (\d+)   last seq \d+   gaps 0   conflated 0/).map { Int($0.1)! > 0 } == true)
            // 8: where the connection landed, twice.
            #expect(Self.chapter(8, of: text).contains("connection 2 landed on 127.0.0.1:"))
        }

        @Test("--url and --chapter: one chapter against a given server; a chapter that cannot finish in time exits 1 saying what is missing")
        func oneChapter() async throws {
            try await TestServer.with({ $0.slowConsumerTimeout = .seconds(120) }) { server, _ in
                let url = "ws://127.0.0.1:\(server.port)/ws"
                let handshake = try await BinaryRun.ticker(["tour", "--headless", "--url", url, "--chapter", "3"], timeout: .seconds(60))
                #expect(handshake.status == 0, "\(handshake.stderr)")
                #expect(handshake.stdout.hasPrefix("== 3/8 The handshake ==") && !handshake.stdout.contains("== 4/8"))
                #expect(handshake.stdout.contains("→ Host: 127.0.0.1:\(server.port)"))
                // This server keeps a slow consumer for two minutes: chapter 7 cannot show the 1008 within 3 s.
                let slow = try await BinaryRun.ticker(
                    ["tour", "--headless", "--url", url, "--chapter", "7", "--chapter-timeout-s", "3"], timeout: .seconds(60))
                #expect(slow.status == 1)
                #expect(slow.stderr.contains("chapter 7 (Backpressure on the server) did not show") && slow.stderr.contains("1008 slow consumer"))
                #expect(slow.stdout.contains("✗ then it was closed: 1008 slow consumer"))
            }
        }

        @Test("bad arguments: a chapter out of range and an unparsable URL exit 64 with what is wrong")
        func badArguments() async throws {
            let chapter = try await BinaryRun.ticker(["tour", "--headless", "--chapter", "9"])
            #expect(chapter.status == 64 && chapter.stderr.contains("--chapter must be from 1 to 8, got 9"))
            let url = try await BinaryRun.ticker(["tour", "--headless", "--url", "http://127.0.0.1:1/ws"])
            #expect(url.status == 64 && url.stderr.contains("--url"))
        }

        @Test("in a terminal: → and ← move between chapters, i opens the index, a digit jumps, q restores the terminal")
        func keys() async throws {
            let binary = try TickerBinary.url().path
            let tmux = TmuxSession()
            defer { tmux.kill() }
            try tmux.start(
                "\(binary) tour; echo EXIT:$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 60",
                width: 120, height: 36)
            let first = try await tmux.waitForScreen("chapter 1 polling live") { $0.contains("1/8 Polling") && $0.contains("GET → 200 seq") }
            #expect(first.contains("The oldest way to follow changing data"))
            try tmux.send("Right")
            _ = try await tmux.waitForScreen("chapter 2 long polling live") { $0.contains("2/8 Long polling") && $0.contains("GET since=") }
            try tmux.send("Space")
            let handshake = try await tmux.waitForScreen("chapter 3 with the Accept check") {
                $0.contains("3/8 The handshake") && $0.contains("server sent ") && $0.contains("✓ 101 Switching Protocols")
            }
            #expect(handshake.split(separator: "\n").contains { $0.contains("server sent ") && $0.hasSuffix("✓") })
            try tmux.send("Left")
            _ = try await tmux.waitForScreen("back to chapter 2") { $0.contains("2/8 Long polling") }
            try tmux.send("i")
            _ = try await tmux.waitForScreen("the index") { $0.contains("Chapters") && $0.contains("8  Behind a reverse proxy") }
            try tmux.send("5")
            let events = try await tmux.waitForScreen("chapter 5 with its keys") {
                $0.contains("5/8 The four events") && $0.contains("open    protocol") && $0.contains("s subscribe")
            }
            #expect(events.contains("p ping") && !events.contains("Chapters"))
            try tmux.send("p")
            _ = try await tmux.waitForScreen("the ping answered") { $0.contains("✓ send: a ping answered by a pong") }
            try tmux.send("c")
            _ = try await tmux.waitForScreen("the closing handshake") { $0.contains("✓ close(1000): both close frames, then CLOSED") }
            try tmux.send("q")
            let after = try await tmux.waitForScreen("the exit and the terminal modes") { $0.contains("EXIT:") && $0.contains("icanon") }
            #expect(after.contains("EXIT:0"))
            #expect(after.contains("icanon echo"), "the terminal is back in canonical mode with echo:\n\(after)")
        }
    }
}
