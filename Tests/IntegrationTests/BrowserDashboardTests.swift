import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TickerClient
import TickerCore
import TickerServer

extension ExternalProcesses {
    @Suite("The browser dashboard at / in headless Chromium", .timeLimit(.minutes(2)))
    struct BrowserDashboardTests {
        @Test("the page, its script and stylesheet are served with their content types; no inline script")
        func servedFiles() async throws {
            try await TestServer.with { server, _ in
                for (path, type) in [("/", "text/html"), ("/app.js", "javascript"), ("/style.css", "text/css")] {
                    let response = try await server.get(path)
                    #expect(response.status == 200, "\(path)")
                    let contentType = response.headers.first { $0.0.lowercased() == "content-type" }?.1 ?? ""
                    #expect(contentType.contains(type), "\(path): \(contentType)")
                }
                let page = try await server.get("/").body
                #expect(page.contains(#"<script src="app.js" defer></script>"#))
                #expect(page.components(separatedBy: "<script").count == 2, "one script, loaded from a file")
                // The code, without its comments (which name the same API while explaining it).
                let script = try await server.get("/app.js").body.replacing(/(^|\s)\/\/.*/.anchorsMatchLineEndings(), with: "")
                for api in [
                    "new WebSocket(socketURL, PROTOCOL)", "onopen", "onmessage", "onerror", "onclose", ".send(", ".close(1000", "readyState",
                    "bufferedAmount", "ws.protocol",
                ] {
                    #expect(script.contains(api), "the page uses \(api)")
                }
            }
        }

        @Test(
            "in a real browser the table fills with quotes, the status reads OPEN with ticker.v1 and permessage-deflate, and a click unsubscribes"
        )
        func liveInChromium() async throws {
            try await TestServer.with { server, _ in
                let browser = try await HeadlessChromium.open("\(server.http)/")
                defer { browser.close() }
                let page = HeadlessChromium.dashboardState
                let filled = try await browser.waitFor(page, "the page to open and fill") { $0.state == "OPEN" && $0.rows >= 50 }
                #expect(filled.protocol == "ticker.v1")
                // The browser offers permessage-deflate; the server agrees, and the frames the page decoded came compressed.
                #expect(filled.extensions.hasPrefix("permessage-deflate") && filled.extensions.contains("server_no_context_takeover"))
                #expect(filled.events.contains(#"extensions "permessage-deflate"#))
                let compressed = try await server.get("/metrics").body.split(separator: "\n").first {
                    $0.hasPrefix("ticker_ws_compressed_frames_total ")
                }
                #expect((compressed?.split(separator: " ").last.flatMap { Double($0) } ?? 0) > 0, "\(compressed ?? "no metric")")
                #expect(filled.aapl.range(of: #"^[▲▼ ]*\d+\.\d\d$"#, options: .regularExpression) != nil, "a price: \(filled.aapl)")
                #expect(filled.events.contains(#"open: protocol "ticker.v1""#))
                // Clicking a row unsubscribes it: the server answers with the smaller set and the row goes.
                _ = try await browser.evaluate(#"document.querySelector('tr[data-symbol="AAPL"]').click(); "clicked""#)
                let after = try await browser.waitFor(page, "the unsubscribe round trip") { $0.rows == filled.rows - 1 }
                #expect(after.events.contains("send: unsubscribe AAPL"))
                #expect(after.events.contains("message: subscribed, \(filled.rows - 1) symbol(s)"))
                // The form subscribes again: the symbol comes back with its snapshot.
                _ = try await browser.evaluate(
                    #"document.getElementById("subscribe-symbol").value = "aapl"; document.getElementById("subscribe-form").requestSubmit(); "sent""#)
                let again = try await browser.waitFor(page, "the subscribe round trip") { $0.rows == filled.rows && !$0.aapl.isEmpty }
                #expect(again.events.contains("send: subscribe AAPL"))
                #expect(again.events.contains("message: subscribed, \(filled.rows) symbol(s)"))
                #expect(again.events.contains("message: snapshot, 1 quote(s)"))
            }
        }

        @Test("a dropped page reconnects and resumes: one resumed frame, no new snapshot, the node shown, the log saying so")
        func resume() async throws {
            try await TestServer.with({ $0.nodeName = "edge-b" }) { server, _ in
                let browser = try await HeadlessChromium.open("\(server.http)/")
                defer { browser.close() }
                let page = HeadlessChromium.dashboardState
                let filled = try await browser.waitFor(page, "the page to open and fill") { $0.state == "OPEN" && $0.rows >= 50 }
                #expect(try await browser.evaluate(#"document.getElementById("node").textContent"#) == "edge-b")
                #expect(filled.events.contains("node edge-b"))
                // The connection ends without the user asking (code 4000): the page reconnects by itself.
                _ = try await browser.evaluate(#"ws.close(4000, "test drop"); "dropped""#)
                let resumed = try await browser.waitFor(page, "the reconnection's resume") { $0.events.contains("resumed from seq ") }
                #expect(resumed.events.contains(" on edge-b ("), "\(resumed.events)")
                #expect(resumed.events.components(separatedBy: "message: snapshot").count == 2, "one snapshot, on the first connection only")
                #expect(resumed.rows == filled.rows)
            }
        }

        @Test("against a server whose clock runs 5 s ahead, the page shows the offset and a latency that is not negative")
        func clockOffset() async throws {
            try await TestServer.with({
                $0.clockSkew = .seconds(5)
                $0.activity = 1
            }) { server, _ in
                let browser = try await HeadlessChromium.open("\(server.http)/")
                defer { browser.close() }
                // "+4999.9 ms|1.2 ms|0.4 ms" once a pong and a quote have arrived.
                let read = #"["clock", "p99", "rtt"].map((id) => document.getElementById(id).textContent).join("|")"#
                var figures: [Double] = []
                try await eventually("the page to measure the clock and a latency") {
                    let text = (try? await browser.evaluate(read)) ?? ""
                    figures = text.split(separator: "|").compactMap { Double($0.split(separator: " ").first ?? "") }
                    return figures.count == 3
                }
                // The skew to within half the quickest round trip.
                #expect(abs(figures[0] - 5000) <= figures[2] / 2 + 1, "the offset: \(figures[0]) ms, round trip \(figures[2]) ms")
                // Uncorrected it would be clamped to 0.
                #expect(figures[1] > 0 && figures[1] < 2000, "latency p99 \(figures[1]) ms, corrected and not negative")
            }
        }

        @Test("a fresh page's trend lines start from GET /api/history: more prices than were pushed since it opened")
        func trendsFromHistory() async throws {
            try await TestServer.with({
                $0.activity = 1
                $0.tickInterval = .milliseconds(100)
            }) { server, _ in
                try await eventually("the feed to pass 40 ticks") { await server.server.stats.snapshot().ticks > 40 }
                let browser = try await HeadlessChromium.open("\(server.http)/")
                defer { browser.close() }
                let filled = try await browser.waitFor(HeadlessChromium.dashboardState, "the history answers") {
                    $0.rows >= 50 && $0.events.contains("from GET /api/history")
                }
                #expect(filled.events.contains("trend line(s), from GET /api/history"))
                // The trend of AAPL against what the page was pushed since its snapshot: without the history they would be
                // one more than the pushed ticks.
                let counts = try await browser.evaluate(
                    #"(() => { const row = rows.get("AAPL"); const drawn = document.querySelector('tr[data-symbol="AAPL"] polyline').getAttribute("points").split(" ").length; return `${row.history.length} ${lastSeq - row.firstSeq} ${drawn}`; })()"#
                ).split(separator: " ").compactMap { Int($0) }
                try #require(counts.count == 3)
                #expect(counts[0] >= 40 && counts[0] > counts[1] + 1, "\(counts[0]) prices in the trend, \(counts[1]) pushed")
                #expect(counts[2] == counts[0], "the drawn line has every price")
            }
        }

        @Test("with --compression off the browser's offer is declined: no extension, plain frames, the table still fills")
        func compressionOff() async throws {
            try await TestServer.with({ $0.compression = false }) { server, _ in
                let browser = try await HeadlessChromium.open("\(server.http)/")
                defer { browser.close() }
                let filled = try await browser.waitFor(HeadlessChromium.dashboardState, "the page to open and fill") {
                    $0.state == "OPEN" && $0.rows >= 50
                }
                #expect(filled.extensions == "—")
                #expect(filled.events.contains(#"extensions "(none)""#))
                let compressed = try await server.get("/metrics").body.split(separator: "\n").first {
                    $0.hasPrefix("ticker_ws_compressed_frames_total ")
                }
                #expect(compressed == "ticker_ws_compressed_frames_total 0", "\(compressed ?? "no metric")")
            }
        }

        @Test("under --token the page opened as /?token= connects and fills; without it, it stops and says how to pass it")
        func token() async throws {
            try await TestServer.with({ $0.access.token = "s3cret t" }) { server, _ in
                let good = try await HeadlessChromium.open("\(server.http)/?token=s3cret%20t")
                defer { good.close() }
                _ = try await good.waitFor(HeadlessChromium.dashboardState, "the page to open with its token") { $0.state == "OPEN" && $0.rows >= 50 }

                let missing = try await HeadlessChromium.open("\(server.http)/")
                defer { missing.close() }
                let refused = try await missing.waitFor(HeadlessChromium.dashboardState, "the refusal") { $0.events.contains("not reconnecting") }
                #expect(refused.events.contains("close: code 4401"))
                #expect(refused.events.contains("open the page as /?token=YOUR_TOKEN"))
                #expect(refused.rows == 0)
            }
        }
    }
}

/// Headless Chromium driven over the DevTools protocol, through the project's own WebSocket client.
final class HeadlessChromium {
    /// A script that reads the dashboard page's state as the JSON of a ``PageState``.
    static let dashboardState = """
        JSON.stringify({state: document.getElementById("ready-state").textContent,
          protocol: document.getElementById("protocol").textContent,
          extensions: document.getElementById("extensions").textContent,
          rows: document.querySelectorAll("tbody tr").length,
          aapl: document.querySelector('tr[data-symbol="AAPL"] td.last')?.textContent ?? "",
          events: [...document.querySelectorAll("#events li")].map(e => e.textContent).join("\\n")})
        """

    struct PageState: Decodable {
        var state: String
        var `protocol`: String
        var extensions: String
        var rows: Int
        var aapl: String
        var events: String
    }

    private let process: Process
    private let profile: URL
    private let connection: WebSocketConnection
    private var events: AsyncStream<WebSocketEvent>.Iterator
    private var nextID = 0

    private init(process: Process, profile: URL, connection: WebSocketConnection) {
        self.process = process
        self.profile = profile
        self.connection = connection
        events = connection.events.makeAsyncIterator()
    }

    static func open(_ url: String) async throws -> HeadlessChromium {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("ticker-chromium-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = try BinaryRun.locate("chromium")
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--remote-debugging-port=0", url,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            // Chromium writes the port it chose into the profile.
            let portFile = profile.appendingPathComponent("DevToolsActivePort")
            try await eventually("Chromium's DevTools port") { FileManager.default.fileExists(atPath: portFile.path) }
            var port = 0
            try await eventually("Chromium's DevTools port number") {
                port = Int((try? String(contentsOf: portFile, encoding: .utf8))?.split(separator: "\n").first ?? "") ?? 0
                return port > 0
            }
            struct Target: Decodable {
                var type: String
                var webSocketDebuggerUrl: String?
            }
            var pageURL: String?
            let deadline = ContinuousClock.now + .seconds(20)
            while pageURL == nil {
                guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for the page target") }
                let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/json"), timeout: .seconds(5))
                if let body = try? await response?.body.collect(upTo: 1 << 20) {
                    pageURL =
                        (try? JSONDecoder().decode([Target].self, from: Data(body.readableBytesView)))?
                        .first { $0.type == "page" }?.webSocketDebuggerUrl
                }
                if pageURL == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let connection = try await WebSocketConnection.connect(to: WebSocketURL(pageURL!), protocols: [])
            // Every wait on the DevTools connection is bounded: it is aborted if the test still uses it a minute on.
            _ = Task { [connection] in
                if (try? await Task.sleep(for: .seconds(60))) != nil { connection.abort() }
            }
            return HeadlessChromium(process: process, profile: profile, connection: connection)
        } catch {
            process.terminate()
            throw error
        }
    }

    /// Evaluates JavaScript in the page and returns its value as a string.
    func evaluate(_ expression: String) async throws -> String {
        nextID += 1
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("id")
        writer.integer(nextID)
        writer.key("method")
        writer.string("Runtime.evaluate")
        writer.key("params")
        writer.beginObject()
        writer.key("expression")
        writer.string(expression)
        writer.key("returnByValue")
        writer.boolean(true)
        writer.endObject()
        writer.endObject()
        connection.send(String(decoding: writer.bytes, as: UTF8.self))
        struct Reply: Decodable {
            struct Result: Decodable {
                struct Value: Decodable { var value: String? }
                var result: Value
            }
            var id: Int?
            var result: Result?
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            guard ContinuousClock.now < deadline else { throw TestFailure("Chromium did not answer \(expression.prefix(60)) within 20 s") }
            guard let event = await events.next() else { throw TestFailure("the DevTools connection ended") }
            guard case .text(let text, _) = event, let reply = try? JSONDecoder().decode(Reply.self, from: Data(text.utf8)),
                reply.id == nextID
            else { continue }
            return reply.result?.result.value ?? ""
        }
    }

    /// Evaluates `expression` (JSON of a ``PageState``) every 100 ms until `condition` holds, for at most 20 s.
    func waitFor(_ expression: String, _ what: String, _ condition: (PageState) -> Bool) async throws -> PageState {
        let deadline = ContinuousClock.now + .seconds(20)
        var last: PageState?
        while ContinuousClock.now < deadline {
            last = try? JSONDecoder().decode(PageState.self, from: Data(try await evaluate(expression).utf8))
            if let last, condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("timed out waiting for \(what); the page was \(String(describing: last))")
    }

    func close() {
        connection.abort()
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: profile)
    }
}
