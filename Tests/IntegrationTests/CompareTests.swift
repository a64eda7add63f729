import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TickerCompare
import TickerCore
import TickerServer

extension ExternalProcesses {
    @Suite("ticker compare: the accounting", .timeLimit(.minutes(2)))
    struct CompareTests {
        /// AAPL changes at ticks 1, 2, 3, 5; MSFT at 2 and 4. Tick N happened at N×100 ms.
        static func record() -> FeedRecord {
            var record = FeedRecord()
            for (seq, symbols) in [(1, ["AAPL"]), (2, ["AAPL", "MSFT"]), (3, ["AAPL"]), (4, ["MSFT"]), (5, ["AAPL"])] {
                record.record(seq: UInt64(seq), ts: Int64(seq) * 100_000, symbols: symbols)
            }
            return record
        }

        @Test("push observations count exactly; repeats count once; staleness is first sight minus the tick's ts")
        func pushAccounting() {
            let observations = [
                Observation(symbol: "AAPL", seq: 1, exact: true, seenAt: 101_000), Observation(symbol: "AAPL", seq: 2, exact: true, seenAt: 203_000),
                Observation(symbol: "MSFT", seq: 2, exact: true, seenAt: 203_000), Observation(symbol: "AAPL", seq: 2, exact: true, seenAt: 900_000),
                Observation(symbol: "AAPL", seq: 3, exact: true, seenAt: 301_000), Observation(symbol: "MSFT", seq: 4, exact: true, seenAt: 401_000),
            ]
            let report = StyleReport.account(
                style: "push", observations: observations, record: Self.record(), window: 1...5, requests: 6, requestsLabel: "frames", bytesUp: 10,
                bytesDown: 490)
            #expect(report.updatesInWindow == 6)
            #expect(report.updatesSeen == 5 && report.updatesMissed == 1, "AAPL at tick 5 was never seen")
            #expect(report.quotesReceived == 6)
            #expect(abs(report.stalenessMaxMs - 3.0) < 0.01, "HdrHistogram keeps three significant digits")
            #expect(report.bytesPerUpdate == 100)
        }

        @Test("a polled state shows only the last change before it: the ones in between are missed")
        func pollingAccounting() {
            // Polls answered as of tick 3 (at 350 ms) and tick 5 (at 560 ms), each with both symbols' state.
            let observations = [
                Observation(symbol: "AAPL", seq: 3, exact: false, seenAt: 350_000),
                Observation(symbol: "MSFT", seq: 3, exact: false, seenAt: 350_000),
                Observation(symbol: "AAPL", seq: 5, exact: false, seenAt: 560_000),
                Observation(symbol: "MSFT", seq: 5, exact: false, seenAt: 560_000),
            ]
            let report = StyleReport.account(
                style: "poll", observations: observations, record: Self.record(), window: 1...5, requests: 2, requestsLabel: "requests",
                bytesUp: 0, bytesDown: 0)
            // Seen: AAPL@3, MSFT@2 (as of 3), AAPL@5, MSFT@4 (as of 5). Missed: AAPL@1, AAPL@2.
            #expect(report.updatesSeen == 4 && report.updatesMissed == 2)
            #expect(abs(report.stalenessMaxMs - 160.0) < 0.2, "MSFT's change at tick 4 (400 ms) was first seen at 560 ms")
            #expect(abs(report.stalenessP50Ms - 60.0) < 0.1, "AAPL@3: 50, MSFT@2: 150, AAPL@5: 60, MSFT@4: 160")
        }

        @Test("changes outside the window are not counted")
        func window() {
            let observations = [Observation(symbol: "AAPL", seq: 1, exact: true, seenAt: 100_000)]
            let report = StyleReport.account(
                style: "push", observations: observations, record: Self.record(), window: 2...3, requests: 1, requestsLabel: "frames", bytesUp: 0,
                bytesDown: 0)
            #expect(report.updatesInWindow == 3 && report.updatesSeen == 0 && report.updatesMissed == 3)
        }

        @Test("against a seeded feed: a poller every 5 ticks sees exactly each symbol's last change before each poll")
        func seededFeed() throws {
            let catalog = SymbolCatalog(
                symbols: ["AAA", "BBB", "CCC"].map {
                    SymbolInfo(symbol: $0, name: $0, sector: "", referencePrice: 100, annualVolatility: 0.3, annualDrift: 0)
                })
            var simulator = PriceSimulator(catalog: catalog, seed: 11, activity: 0.5)
            var record = FeedRecord()
            var ticks: [FeedTick] = []
            for tick in 1...100 {
                let step = simulator.step(timestamp: Int64(tick) * 100_000)
                ticks.append(step)
                record.record(seq: step.seq, ts: step.ts, symbols: step.quotes.map(\.symbol))
            }
            // The poller asks after every 5th tick and is shown all three symbols as of that tick.
            let polls = stride(from: 5, through: 100, by: 5).map { UInt64($0) }
            let observations = polls.flatMap { seq in
                catalog.symbols.map { Observation(symbol: $0.symbol, seq: seq, exact: false, seenAt: Int64(seq) * 100_000 + 1_000) }
            }
            let report = StyleReport.account(
                style: "poll", observations: observations, record: record, window: 1...100, requests: polls.count, requestsLabel: "requests",
                bytesUp: 0, bytesDown: 0)
            // Independently: per symbol and per 5-tick block, a change is seen only if it is the block's last change.
            var expectedSeen = 0
            var total = 0
            for symbol in ["AAA", "BBB", "CCC"] {
                for block in 0..<20 {
                    let changes = ticks[(block * 5)..<(block * 5 + 5)].filter { $0.quotes.contains { $0.symbol == symbol } }
                    total += changes.count
                    if !changes.isEmpty { expectedSeen += 1 }
                }
            }
            #expect(report.updatesInWindow == total)
            #expect(report.updatesSeen == expectedSeen)
            #expect(report.updatesMissed == total - expectedSeen)
            #expect(report.updatesMissed > 0 && report.quotesReceived == 60)
        }

        @Test("the proxy counts exactly the bytes of a known transfer, each way")
        func proxyCountsBytes() async throws {
            try await TestServer.with { server, _ in
                let proxy = try await CountingProxy.start(targetHost: "127.0.0.1", targetPort: server.port)
                let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                let received = try await RawTCP.exchange(port: proxy.port, sending: request)
                #expect(String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
                #expect(proxy.counters.bytesUp.load(ordering: .relaxed) == request.utf8.count)
                try await eventually("the proxy to have forwarded the whole answer") {
                    proxy.counters.bytesDown.load(ordering: .relaxed) == received.count
                }
                #expect(proxy.counters.connections.load(ordering: .relaxed) == 1)
                await proxy.stop()
            }
        }

        @Test(
            "on a live feed the WebSocket misses nothing (compressed or not, and compressed it costs fewer bytes), SSE and long polling nearly nothing, slow short polling most changes"
        )
        func liveComparison() async throws {
            try await TestServer.with({
                $0.activity = 1
                $0.tickInterval = .milliseconds(50)
            }) { server, _ in
                let result = try await Comparison(
                    host: "127.0.0.1", port: server.port, symbols: ["AAPL", "MSFT"], duration: .seconds(2), pollIntervals: [.milliseconds(400)]
                ).run()
                let byStyle = Dictionary(uniqueKeysWithValues: result.styles.map { ($0.style, $0) })
                let websocket = try #require(byStyle["websocket"])
                let events = try #require(byStyle["server-sent events"])
                let longPolling = try #require(byStyle["long polling"])
                let polling = try #require(byStyle["short polling 400 ms"])
                let ticks = Int(result.lastSeq - result.firstSeq + 1)
                // Every symbol changes every tick: two changes per tick in the window.
                #expect(websocket.updatesInWindow == 2 * ticks && ticks >= 20, "\(ticks) ticks")
                // A client that keeps up is sent every tick: nothing missed, one frame per tick, nothing sent up.
                #expect(websocket.updatesMissed == 0)
                #expect(websocket.requests >= ticks - 1 && websocket.bytesUp == 0, "\(websocket.requests) frames for \(ticks) ticks")
                // The same frames through permessage-deflate: nothing missed, and (two quotes a frame, compressed on their
                // own) at least a third fewer bytes down.
                let compressed = try #require(byStyle["websocket (compressed)"])
                #expect(compressed.updatesMissed == 0 && compressed.requests >= ticks - 1)
                #expect(compressed.bytesDown * 3 < websocket.bytesDown * 2, "\(compressed.bytesDown) B compressed, \(websocket.bytesDown) B plain")
                // SSE and long polling carry the latest state of what changed since the client's last event or answer: a
                // symbol changed twice in between shows only the later change. On loopback that is rare.
                for style in [events, longPolling] {
                    #expect(style.updatesMissed * 5 <= style.updatesInWindow, "\(style.style): \(style.updatesMissed) missed")
                    #expect(style.updatesSeen > polling.updatesSeen, "\(style.style) sees more than the slow poller")
                }
                #expect(
                    longPolling.requests >= ticks / 2 && longPolling.bytesUp > longPolling.requests * 50, "a request, headers and all, per answer")
                #expect(polling.updatesMissed > polling.updatesSeen, "polling every 8 ticks sees about one change in eight")
                #expect(polling.requests >= 4 && polling.bytesUp > 100)
            }
        }

        @Test("ticker compare as a command: the styles' table (WebSocket plain and compressed) for a short run, exit 0")
        func command() async throws {
            let run = try await BinaryRun.ticker(["compare", "--duration", "2", "--poll-interval", "250", "--tick-ms", "50"], timeout: .seconds(60))
            #expect(run.status == 0, "\(run.stderr)")
            for style in ["short polling 250 ms", "long polling", "server-sent events", "websocket", "websocket (compressed)"] {
                #expect(run.stdout.contains(style), "\(style) row: \(run.stdout)")
            }
            #expect(run.stdout.contains("simulated data") && run.stdout.contains("missed"))
        }
    }

}
/// A plain TCP exchange: send `text`, read until the server closes.
enum RawTCP {
    static func exchange(port: Int, sending text: String) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: text))
            var received: [UInt8] = []
            for try await chunk in inbound { received += chunk.readableBytesView }
            return received
        }
    }
}
