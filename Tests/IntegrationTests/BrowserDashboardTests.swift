import Foundation
import Testing
import TickerServer

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
            let script = try await server.get("/app.js").body
            for api in [
                "new WebSocket(url, PROTOCOL)", "onopen", "onmessage", "onerror", "onclose", ".send(", ".close(1000", "readyState",
                "bufferedAmount", "ws.protocol",
            ] {
                #expect(script.contains(api), "the page uses \(api)")
            }
        }
    }

    @Test("in a real browser the table fills with quotes and the status reads OPEN with protocol ticker.v1")
    func liveInChromium() async throws {
        try await TestServer.with { server, _ in
            let profile = FileManager.default.temporaryDirectory.appendingPathComponent("ticker-chromium-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: profile) }
            let run = try await BinaryRun.program(
                "chromium",
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000",
                    "--dump-dom", "\(server.http)/",
                ])
            #expect(run.status == 0, "\(run.stderr.suffix(500))")
            let dom = run.stdout
            #expect(dom.contains(#"id="ready-state" class="state-open">OPEN<"#), "the status bar reads OPEN")
            #expect(dom.contains(#"id="protocol">ticker.v1<"#), "the negotiated protocol is shown")
            let rows = dom.components(separatedBy: "<tr data-symbol=").count - 1
            #expect(rows >= 50, "the table has a row per symbol (\(rows))")
            #expect(dom.contains(#"<td class="symbol">AAPL</td><td class="name">Apple Inc.</td>"#))
            #expect(dom.range(of: #"<td class="last[^"]*">[▲▼ ]*\d+\.\d\d</td>"#, options: .regularExpression) != nil, "prices are shown")
            #expect(dom.contains(#"open: protocol "ticker.v1""#), "the open event is logged")
        }
    }
}
