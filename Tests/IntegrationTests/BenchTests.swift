import Foundation
import Testing
import TickerCore

@testable import TickerBench

extension ExternalProcesses {
    @Suite("ticker bench: the frame scan, and the load test against a real server", .timeLimit(.minutes(2)))
    struct BenchTests {
        struct Report: Decodable {
            struct Percentiles: Decodable { var p50, p99, max: Double }
            var clients, connected, connectErrors, disconnects, seqGaps, seqErrors, latencySamples: Int
            var subscribed: Bool
            var deliveryRatio, quoteDeliveryRatio, ticksPerSecond, framesPerSecond: Double
            var latencyMs: Percentiles
            var serverPid: Int32?
            var serverCpuPercent, serverRssMiB, serverRssPerConnectionKiB: Double?
            var compressionOffered: Bool
            var compressingConnections, compressedFrames, protocolErrors: Int
            var wireBytesPerQuote, messageBytesPerQuote, wireBytesPerSecondPerClient: Double
        }

        @Test("the scan reads seq, ts, the quote count and conflated from ticker's frames, and other key orders by decoding")
        func scan() throws {
            var simulator = PriceSimulator(catalog: try SymbolCatalog(assetsJSON: Data(Self.catalogJSON.utf8)), seed: 3, activity: 1)
            let tick = simulator.step(timestamp: 1_795_500_000_123_456)
            for conflated in [nil, 7] {
                let frame = ServerMessage.quotesFrame(
                    seq: tick.seq, ts: tick.ts, encodedQuotes: tick.quotes.map(\.encodedJSON), conflated: conflated)
                let scan = try #require(frame.withUnsafeBytes { QuotesFrameScan.scan($0) })
                #expect(scan == QuotesFrameScan(seq: tick.seq, ts: tick.ts, quoteCount: tick.quotes.count, conflated: conflated ?? 0))
            }
            let otherOrder = #"{"seq":9,"quotes":[{"symbol":"A"},{"symbol":"B"}],"type":"quotes","ts":42}"#
            #expect(
                Array(otherOrder.utf8).withUnsafeBytes { QuotesFrameScan.scan($0) } == QuotesFrameScan(seq: 9, ts: 42, quoteCount: 2, conflated: 0))
            for notQuotes in [#"{"type":"welcome","symbols":[]}"#, "{oops", ""] {
                #expect(Array(notQuotes.utf8).withUnsafeBytes { QuotesFrameScan.scan($0) } == nil)
            }
        }

        @Test("against the server it starts: every client connected, every tick delivered, latency and the server's CPU measured")
        func ownServer() async throws {
            let run = try await BinaryRun.ticker([
                "bench", "--clients", "30", "--warmup", "0.5", "--duration", "1.5", "--tick-ms", "50", "--format", "json",
            ])
            #expect(run.status == 0, "\(run.stderr)")
            let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
            #expect(report.connected == 30 && report.connectErrors == 0 && report.disconnects == 0)
            #expect(report.deliveryRatio == 1 && report.quoteDeliveryRatio == 1 && report.seqGaps == 0 && report.seqErrors == 0)
            #expect(report.ticksPerSecond > 10 && report.framesPerSecond > 300)
            #expect(report.latencySamples > 0 && report.latencyMs.p50 > 0 && report.latencyMs.max >= report.latencyMs.p99)
            #expect(report.serverPid != nil && (report.serverCpuPercent ?? 0) > 0 && (report.serverRssMiB ?? 0) > 0)
            // permessage-deflate by default: every connection agreed, the frames came compressed, 3× fewer bytes or better.
            #expect(report.compressionOffered && report.compressingConnections == 30 && report.protocolErrors == 0)
            #expect(Double(report.compressedFrames) >= report.framesPerSecond, "\(report.compressedFrames) compressed frames")
            #expect(report.wireBytesPerQuote * 3 <= report.messageBytesPerQuote, "\(report.wireBytesPerQuote) B/quote on the wire")
        }

        @Test("--compression off: plain frames, and the bytes on the wire are the JSON's plus the frame headers")
        func withoutCompression() async throws {
            let run = try await BinaryRun.ticker([
                "bench", "--clients", "10", "--warmup", "0.5", "--duration", "1", "--tick-ms", "50", "--compression", "off", "--format", "json",
            ])
            #expect(run.status == 0, "\(run.stderr)")
            let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
            #expect(!report.compressionOffered && report.compressingConnections == 0 && report.compressedFrames == 0)
            #expect(report.deliveryRatio == 1)
            // 50 quotes a frame: the 4-byte header is under a byte per quote.
            let overhead = report.wireBytesPerQuote - report.messageBytesPerQuote
            #expect(overhead > 0 && overhead < 1, "\(overhead) B/quote of framing")
            #expect(run.stdout.contains(#""wireBytesPerSecondPerClient""#))
        }

        @Test("--url and --idle against a running server: connections without subscribing, memory per connection")
        func idleAgainstURL() async throws {
            try await TestServer.with { server, _ in
                let run = try await BinaryRun.ticker([
                    "bench", "--url", "ws://127.0.0.1:\(server.port)/ws", "--server-pid", "\(getpid())", "--idle", "--clients", "20",
                    "--warmup", "0", "--duration", "0.5", "--format", "json",
                ])
                #expect(run.status == 0, "\(run.stderr)")
                let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
                #expect(report.connected == 20 && !report.subscribed && report.latencySamples == 0)
                #expect(report.serverRssPerConnectionKiB != nil)
            }
        }

        @Test("a non-loopback --url and --server-pid without --url are refused with a specific message")
        func badFlags() async throws {
            let remote = try await BinaryRun.ticker(["bench", "--url", "ws://example.com/ws"])
            #expect(remote.status != 0 && remote.stderr.contains("must be a loopback address"), "\(remote.stderr)")
            let pid = try await BinaryRun.ticker(["bench", "--server-pid", "1"])
            #expect(pid.status != 0 && pid.stderr.contains("--server-pid goes with --url"), "\(pid.stderr)")
        }

        static let catalogJSON =
            #"{"symbols":[{"symbol":"AAPL","name":"Apple","sector":"Tech","referencePrice":190,"annualVolatility":0.3,"annualDrift":0.05},"#
            + #"{"symbol":"MSFT","name":"Microsoft","sector":"Tech","referencePrice":410,"annualVolatility":0.25,"annualDrift":0.05}]}"#
    }

}
