import Foundation
import Testing
import TickerCore

extension ExternalProcesses {
    /// The single-process server's promises (docs/PROTOCOL.md, docs/RELIABILITY.md), re-run on an edge: the very tests
    /// of those suites, each against an in-process server that follows a real `ticker feed` through a real PostgreSQL
    /// instead of simulating. The simulator's settings belong to the feed there: the backpressure tests run against a
    /// feed started as they configure it; left out are the tests that need a simulator of their own (activity 0, an
    /// epoch, a seed replayed from a point the feed has passed).
    @Suite("Edge conformance: the single-process suites' tests against an edge of a real feed", .timeLimit(.minutes(6)))
    struct EdgeConformanceTests {
        /// One test of another suite, by its name there.
        struct Check {
            var name: String
            var run: () async throws -> Void

            init(_ name: String, _ run: @escaping () async throws -> Void) {
                self.name = name
                self.run = run
            }
        }

        static func checks(feedEpoch: String) -> [Check] {
            let rfc = RFC6455Tests()
            let handshake = HandshakeTests()
            let contract = WebSocketContractTests()
            let http = HTTPEndpointTests()
            let events = ServerSentEventsTests()
            let access = AccessControlTests()
            let compression = CompressionTests()
            var checks: [Check] = [
                Check("RFC 6455: unmasked frame 1002") { try await rfc.unmasked() },
                Check("RFC 6455: invalid UTF-8 fails fast") { try await rfc.utf8FailsFast() },
                Check("RFC 6455: fragmentation") { try await rfc.fragmentation() },
                Check("RFC 6455: message too big 1009") { try await rfc.messageTooBig() },
                Check("RFC 6455: 16- and 64-bit lengths") { try await rfc.lengths() },
                Check("RFC 6455: empty close") { try await rfc.emptyClose() },
                Check("RFC 6455: ping and pong") { try await rfc.pingPong() },
                Check("RFC 6455: server frames") { try await rfc.serverFrames() },
                Check("handshake: Sec-WebSocket-Accept") { try await handshake.accept() },
                Check("handshake: version 8 gets 426") { try await handshake.otherVersion("8") },
                Check("handshake: a bad key gets 400") {
                    try await handshake.badKey("not base64", "!!!!notbase64!!!!", "13", "Sec-WebSocket-Key")
                },
                Check("handshake: other refusals") { try await handshake.otherRefusals() },
                Check("handshake: plain GET /ws 426") { try await handshake.plainGet() },
                Check("HTTP: head over the limit 431") { try await handshake.headerTooLarge() },
                Check("HTTP: slowloris 408") { try await handshake.slowloris() },
                Check("HTTP: malformed request line 400") { try await handshake.malformed() },
                Check("ticker.v1: welcome") { try await contract.welcome() },
                Check("ticker.v1: no subprotocol") { try await contract.noSubprotocol() },
                Check("ticker.v1: wrong subprotocol") { try await contract.wrongSubprotocol() },
                Check("ticker.v1: subscribe flow") { try await contract.subscribeFlow() },
                Check("ticker.v1: unknown symbols") { try await contract.unknownSymbols() },
                Check("ticker.v1: unsubscribe") { try await contract.unsubscribe() },
                Check("ticker.v1: a bad message") { try await contract.badMessages(text: "{oops", code: .badMessage) },
                Check("ticker.v1: an unknown type") { try await contract.badMessages(text: #"{"type":"teleport"}"#, code: .unknownType) },
                Check("ticker.v1: ping and pong") { try await contract.pingPong() },
                Check("ticker.v1: heartbeats to a quiet client") { try await contract.heartbeat() },
                Check("shutdown: every client gets 1001") { try await LifecycleTests().gracefulShutdown() },
                Check("ticker.v1: shared seq, byte-identical frames") { try await contract.sharedSeq() },
                Check("ticker.v1: binary frame 1003") { try await contract.binaryFrame() },
                Check("ticker.v1: oversized message 1009") { try await contract.oversizedMessage() },
                Check("ticker.v1: rate limit 1008") { try await contract.rateLimit() },
                Check("HTTP: /api/symbols") { try await http.symbols() },
                Check("HTTP: /api/quotes") { try await http.quotes() },
                Check("HTTP: long poll answers on a tick") { try await http.longPollAnswersOnTick() },
                Check("HTTP: long poll answers at once") { try await http.longPollImmediate() },
                Check("HTTP: bad parameters 400") { try await http.badParameters(path: "/api/quotes/poll?since=abc", parameter: "since") },
                Check("HTTP: since ahead of the feed") { try await http.longPollAfterRestart() },
                Check("SSE: stream") { try await events.stream() },
                Check("SSE: Last-Event-ID EPOCH:SEQ resumes in the feed's epoch, another epoch's gets a snapshot") {
                    try await Self.eventStreamResume(events, feedEpoch: feedEpoch)
                },
                Check("SSE: shutdown ends the stream") { try await events.shutdown() },
                Check("access: origin") { try await access.origin() },
                Check("access: token") { try await access.token() },
                Check("access: max connections") { try await access.maxConnections() },
                Check("pings: a peer answering them stays") { try await BackpressureTests().livePeer() },
                Check("pings: a peer not answering them is closed with 1001") { try await BackpressureTests().deadPeer() },
                Check("RFC 7692: two compressing clients, identical frames") { try await compression.sharedCompressedFrames() },
                Check("RFC 7692: a compressed frame inflates to the plain one") { try await compression.inflatesToThePlainFrame() },
                Check("RFC 7692: compressed client messages") { try await compression.clientMessages() },
            ]
            for (what, bytes) in RFC6455Tests.protocolViolations.prefix(3) {
                checks.append(Check("RFC 6455: \(what) 1002") { try await rfc.protocolErrors(what, bytes) })
            }
            for (what, frames) in RFC6455Tests.invalidUTF8Cases.prefix(2) {
                checks.append(Check("RFC 6455: \(what) 1007") { try await rfc.invalidUTF8(what, frames) })
            }
            for code in [1000, 3000] {
                checks.append(Check("RFC 6455: close \(code) echoed") { try await rfc.closeEcho(code: code) })
            }
            return checks
        }

        /// `ServerSentEventsTests.resume` and `otherEpoch` with the feed's epoch (they name the single process's own).
        static func eventStreamResume(_ events: ServerSentEventsTests, feedEpoch: String) async throws {
            try await TestServer.with { server, _ in
                let health = try JSONSerialization.jsonObject(with: Data(try await server.get("/healthz").body.utf8)) as? [String: Any]
                let epoch = try #require(health?["epoch"] as? String)
                #expect(epoch == feedEpoch, "an edge of the feed: its epoch")
                let since = max(3, try #require((health?["seq"] as? NSNumber)?.uint64Value)) - 3
                var resumed = EventStreamReader(try await events.open(server, "/api/quotes/stream?symbols=NVDA", lastEventID: "\(epoch):\(since)"))
                let first = try await resumed.next()
                guard case .quotes(let seq, _, let quotes, _, _) = try ServerMessage.decode(Data((first.data ?? "").utf8)) else {
                    throw TestFailure("expected the changes since seq \(since): \(first)")
                }
                #expect(seq > since && quotes.map(\.symbol) == ["NVDA"] && first.epoch == epoch && first.id == seq)
                var other = EventStreamReader(try await events.open(server, "/api/quotes/stream?symbols=NVDA", lastEventID: "e0:\(since)"))
                let snapshot = try await other.next()
                guard case .snapshot(_, _, _, let snapshotEpoch, _) = try ServerMessage.decode(Data((snapshot.data ?? "").utf8)) else {
                    throw TestFailure("expected a snapshot: \(snapshot)")
                }
                #expect(snapshotEpoch == epoch)
            }
        }

        /// Runs each check with every server it starts an edge of `database`; a failing check is recorded and the next runs.
        static func run(_ checks: [Check], onAnEdgeOf database: PostgresServer) async throws {
            let url = try DatabaseURL(database.url)
            for check in checks {
                do {
                    try await TestServer.$edgeOf.withValue(url) { try await check.run() }
                } catch {
                    Issue.record("\(check.name), on an edge: \(error)")
                }
            }
        }

        @Test("slow consumers (conflation exact against the seeded feed, 1008), on an edge of a 300-symbol feed")
        func backpressure() async throws {
            try await PostgresServer.with { database in
                // The simulator BackpressureTests configure, as the feed: 300 symbols, seed 7, every symbol moving, at 20 ms (not
                // 10: the feed and PostgreSQL share the two cores with the edge and its clients).
                let feed = try FeedProcess.start(
                    database.url, ["--symbol-count", "300", "--seed", "7", "--activity", "1", "--tick-ms", "20"])
                _ = try await feed.leading()
                let tests = BackpressureTests()
                let checks = [
                    Check("a stalled reader's one conflated frame is the feed's state") { try await tests.conflation() },
                    Check("a client stuck behind is closed with 1008") { try await tests.slowConsumer() },
                    Check("a reader of nothing is dropped; a healthy client keeps every tick") { try await tests.slowConsumerDropped() },
                ]
                try await Self.run(checks, onAnEdgeOf: database)
                feed.process.kill(signal: SIGTERM)
            }
        }

        @Test("RFC 6455, the handshake and HTTP limits, ticker.v1, polling, SSE, pings, access control and compression, on an edge")
        func singleProcessPromises() async throws {
            try await PostgresServer.with { database in
                let feed = try FeedProcess.start(database.url, ["--tick-ms", "20", "--activity", "1"])
                let (epoch, _) = try await feed.leading()
                try await Self.run(Self.checks(feedEpoch: epoch), onAnEdgeOf: database)
                feed.process.kill(signal: SIGTERM)
            }
        }
    }
}
