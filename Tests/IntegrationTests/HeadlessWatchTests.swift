import Foundation
import HummingbirdWebSocket
import NIOWebSocket
import Testing
import TickerCore
import TickerServer

@Suite("ticker watch --headless, end to end", .timeLimit(.minutes(2)))
struct HeadlessWatchTests {
    struct Record: Decodable {
        var event: String
        var `protocol`: String?
        var extensions: String?
        var code: Int?
        var seq: UInt64?
        var latencyUs: Int64?
        var quote: Quote?
    }

    @Test("jsonl: lifecycle events and one line per quote update; --count ends it with exit 0")
    func jsonl() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let run = try await BinaryRun.ticker(
                [
                    "watch", "--headless", "--format", "jsonl", "--url", "ws://127.0.0.1:\(server.port)/ws", "--symbols", "AAPL,MSFT", "--count", "6",
                ], timeout: .seconds(30))
            #expect(run.status == 0, "\(run.stderr)")
            let records = try run.stdout.split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
            #expect(records.first?.event == "connecting")
            #expect(records.first { $0.event == "open" }?.protocol == "ticker.v1")
            let quotes = records.filter { $0.event == "quote" }
            #expect(quotes.count >= 6)
            #expect(quotes.allSatisfy { ["AAPL", "MSFT"].contains($0.quote?.symbol ?? "") && ($0.latencyUs ?? -1) >= 0 })
            #expect(records.last?.event == "close" && records.last?.code == 1000)
        }
    }

    @Test("table: the dashboard's table as text every interval and once at exit; --duration ends it")
    func table() async throws {
        try await TestServer.with { server, _ in
            let run = try await BinaryRun.ticker(
                [
                    "watch", "--headless", "--url", "ws://127.0.0.1:\(server.port)/ws", "--symbols", "AAPL,NVDA", "--interval", "0.3",
                    "--duration", "2",
                ], timeout: .seconds(30))
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.elapsed >= .seconds(2), "--duration 2 ran \(run.elapsed)")
            let tables = run.stdout.components(separatedBy: "\n\n").filter { $0.contains("SYMBOL") }
            #expect(tables.count >= 3, "one every 0.3 s and one at exit")
            let last = try #require(tables.last)
            #expect(tables.dropLast().contains { $0.contains("OPEN") }, "a table while running shows the connection open")
            #expect(last.contains("CLOSED") && last.contains("protocol ticker.v1"), "at exit, after the closing handshake")
            #expect(last.contains(" AAPL ") && last.contains(" NVDA ") && last.contains("LAST") && last.contains("CHG%"))
            #expect(!last.contains("\u{1B}"), "plain text, no escape sequences")
        }
    }

    @Test("a server whose clock runs 5 s ahead: no latency is negative, the header shows the offset, latencies come out right")
    func clockOffset() async throws {
        try await TestServer.with({
            $0.clockSkew = .seconds(5)
            $0.activity = 1
        }) { server, _ in
            let url = "ws://127.0.0.1:\(server.port)/ws"
            let jsonl = try await BinaryRun.ticker(
                ["watch", "--headless", "--format", "jsonl", "--url", url, "--symbols", "AAPL", "--count", "150"], timeout: .seconds(30))
            #expect(jsonl.status == 0, "\(jsonl.stderr)")
            let latencies = try jsonl.stdout.split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
                .filter { $0.event == "quote" }.compactMap(\.latencyUs)
            #expect(latencies.count >= 150 && latencies.allSatisfy { $0 >= 0 }, "never negative")
            // The first pong answers within the first ticks; from then on the latency is measured in one clock.
            // (Uncorrected they would all be clamped to 0.)
            let later = latencies.suffix(100).sorted()
            #expect(later[later.count / 2] < 1_000_000 && later.last! > 0, "median \(later[later.count / 2]) µs, max \(later.last!) µs")
            let table = try await BinaryRun.ticker(
                ["watch", "--headless", "--url", url, "--duration", "1.5", "--interval", "10"], timeout: .seconds(30))
            #expect(table.status == 0, "\(table.stderr)")
            // The skew to within half a round trip (4.9 or 5.1 s only on a loaded machine).
            #expect(table.stdout.firstMatch(of: #/clock \+(4\.9|5\.0|5\.1) s  rtt/#) != nil, "\(table.stdout)")
            let p50 = try #require(table.stdout.firstMatch(of: /latency p50 ([0-9.]+) (µs|ms)/), "\(table.stdout)")
            #expect(p50.2 == "µs" || (Double(p50.1) ?? 1000) < 1000, "corrected p50: \(p50.0)")
        }
    }

    @Test("--chart prints the symbol's chart from the server's history: title, braille line, price and time axes; bad --chart is refused")
    func chart() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            // Some history first: the chart starts from it.
            try await eventually("the feed to pass 50 ticks") { await server.server.stats.snapshot().ticks > 50 }
            let run = try await BinaryRun.ticker(
                [
                    "watch", "--headless", "--chart", "nvda", "--symbols", "AAPL", "--url", "ws://127.0.0.1:\(server.port)/ws", "--duration", "1.5",
                    "--interval", "10",
                ], timeout: .seconds(30))
            #expect(run.status == 0, "\(run.stderr)")
            let printed = run.stdout.components(separatedBy: "\n\n").filter { $0.contains("NVDA") }
            let chart = try #require(printed.last, "\(run.stdout)")
            #expect(chart.contains("NVIDIA") && chart.contains("prev close") && chart.contains("line · 1 min"))
            #expect(!chart.contains("SYMBOL"), "the chart, not the table")
            let braille = chart.unicodeScalars.filter { (0x2801...0x28FF).contains($0.value) }.count
            #expect(braille >= 40, "a drawn line over the history (\(braille) braille cells)")
            #expect(chart.contains("┤") && chart.firstMatch(of: /\d\d:\d\d:\d\d/) != nil, "price and time axes")
            #expect(!chart.contains("Loading") && !chart.contains("No history"))
            let bad = try await BinaryRun.ticker(["watch", "--headless", "--chart", "AAPL,MSFT"], timeout: .seconds(30))
            #expect(bad.status != 0 && bad.stderr.contains("--chart takes one symbol"))
        }
    }

    @Test("watch offers permessage-deflate: the open record names it, the header shows the ratio; --compression off does not")
    func compression() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let url = "ws://127.0.0.1:\(server.port)/ws"
            let jsonl = try await BinaryRun.ticker(
                ["watch", "--headless", "--format", "jsonl", "--url", url, "--count", "100"], timeout: .seconds(30))
            #expect(jsonl.status == 0, "\(jsonl.stderr)")
            let open = try jsonl.stdout.split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
                .first { $0.event == "open" }
            #expect(open?.extensions == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")

            let table = try await BinaryRun.ticker(
                ["watch", "--headless", "--url", url, "--duration", "1.5", "--interval", "10"], timeout: .seconds(30))
            #expect(table.status == 0, "\(table.stderr)")
            let ratio = try #require(table.stdout.firstMatch(of: /deflate (\d+\.\d)×/), "the header shows the ratio: \(table.stdout)")
            #expect((Double(ratio.1) ?? 0) >= 3, "all 60 symbols a tick compress at least 3×: \(ratio.0)")

            let off = try await BinaryRun.ticker(
                ["watch", "--headless", "--format", "jsonl", "--url", url, "--count", "10", "--compression", "off"], timeout: .seconds(30))
            #expect(off.status == 0, "\(off.stderr)")
            let plainOpen = try off.stdout.split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
                .first { $0.event == "open" }
            #expect(plainOpen != nil && plainOpen?.extensions == nil)
        }
    }

    @Test("a server that cannot be reached: a clear message and exit 1")
    func unreachable() async throws {
        let run = try await BinaryRun.ticker(["watch", "--headless", "--url", "ws://127.0.0.1:1/ws", "--duration", "5"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot reach ws://127.0.0.1:1/ws") && run.stderr.contains("connection refused"))
    }

    @Test("no quote update before the end: exit 2 with a message")
    func noUpdates() async throws {
        try await TestServer.with({ $0.activity = 0 }) { server, _ in
            let run = try await BinaryRun.ticker(
                ["watch", "--headless", "--url", "ws://127.0.0.1:\(server.port)/ws", "--duration", "0.5"], timeout: .seconds(30))
            #expect(run.status == 2)
            #expect(run.elapsed >= .milliseconds(500), "--duration 0.5 ran \(run.elapsed)")
            #expect(run.stderr.contains("no quote updates received"))
        }
    }

    @Test("the server closing with an error: exit 3 naming the close code")
    func serverError() async throws {
        try await FakeServer.with(script: { outbound in
            try await outbound.close(.policyViolation, reason: "go away")
        }) { url in
            let run = try await BinaryRun.ticker(["watch", "--headless", "--format", "jsonl", "--url", url, "--duration", "20"])
            #expect(run.status == 3, "\(run.stdout)")
            #expect(run.stderr.contains("1008 go away"))
            #expect(run.elapsed < .seconds(15), "it ends on the error, not at --duration: \(run.elapsed)")
        }
    }

    @Test("a refusal after the handshake (4403 origin, 4503 full) ends the headless watch at once, exit 3 naming it", arguments: [4403, 4503])
    func refusals(code: Int) async throws {
        try await FakeServer.with(
            waitForFirstMessage: false,
            script: { outbound in
                try await outbound.close(.unknown(UInt16(code)), reason: code == 4403 ? "origin not allowed: http://evil.example" : "server full")
            }
        ) { url in
            let run = try await BinaryRun.ticker(["watch", "--headless", "--format", "jsonl", "--url", url, "--duration", "20"])
            #expect(run.status == 3)
            #expect(run.stderr.contains("the server closed the connection with \(code)"), "\(run.stderr)")
            let attempts = run.stdout.split(separator: "\n").filter { $0.contains(#""event":"connecting""#) }
            #expect(attempts.count == 1, "headless does not connect again: its exit code reports the refusal")
            #expect(run.elapsed < .seconds(15))
        }
    }

    @Test(
        "bad flags are refused with a specific message",
        arguments: [
            (["watch", "--url", "http://x"], "is not a ws:// or wss:// URL"), (["watch", "--headless", "--count", "0"], "--count must be positive"),
            (["serve", "--activity", "2"], "--activity must be from 0 to 1"), (["watch", "--duration", "3"], "apply to --headless only"),
            (["serve", "--port", "99999"], "--port must be from 0 to 65535"),
        ])
    func badFlags(arguments: [String], message: String) async throws {
        let run = try await BinaryRun.ticker(arguments)
        #expect(run.status != 0)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("serve on a port already in use says which port and what to do, and exits 1")
    func portInUse() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let run = try await BinaryRun.ticker(["serve", "--port", "\(server.port)"], timeout: .seconds(30))
            #expect(run.status == 1)
            #expect(run.stderr.contains("port \(server.port) on 127.0.0.1 is already in use"), "\(run.stderr)")
            #expect(run.stderr.contains("--port 0 picks a free one"))
            #expect(!run.stderr.contains("bind(descriptor:"), "no raw system-call error")
        }
    }
}
