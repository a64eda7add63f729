import Foundation
import Testing
import TickerAssets
import TickerClient
import TickerCore
import TickerServer

@Suite("Resume: epoch, seq and node in welcome; subscribe with resume after a dropped connection", .timeLimit(.minutes(2)))
struct ResumeTests {
    /// The seeded feed's quotes after `seq` ticks: the state a client must have rebuilt.
    static func replay(seed: UInt64, count: Int, to seq: UInt64) async throws -> [String: Quote] {
        try await offThePool {
            var simulator = PriceSimulator(
                catalog: try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: count), seed: seed, activity: 0.3)
            for _ in 0..<seq { _ = simulator.step(timestamp: 0) }
            return Dictionary(uniqueKeysWithValues: simulator.quotes.map { ($0.symbol, $0) })
        }
    }

    static func configure(_ configuration: inout TickerServerConfiguration) {
        configuration.seed = 11
        configuration.symbolCount = 40
        configuration.activity = 0.3
        configuration.epoch = "epoch-a"
    }

    @Test("welcome names the epoch, the feed's seq and the node (--node-name, or the host name and bound port)")
    func welcome() async throws {
        try await TestServer.with({ $0.epoch = "e-1" }) { server, _ in
            let socket = try await server.connect()
            guard case .welcome(_, _, _, let epoch, let seq, let node) = try await socket.next() else { throw TestFailure("no welcome") }
            #expect(epoch == "e-1" && seq != nil)
            #expect(node == "\(ProcessInfo.processInfo.hostName):\(server.port)")
        }
        try await TestServer.with({ $0.nodeName = "edge-7" }) { server, _ in
            let socket = try await server.connect()
            guard case .welcome(_, _, _, let epoch, _, let node) = try await socket.next() else { throw TestFailure("no welcome") }
            #expect(node == "edge-7")
            // Without a configured epoch, a fresh one per start: 16 hex digits.
            #expect(epoch.map { $0.count == 16 && $0.allSatisfy(\.isHexDigit) } == true, "\(String(describing: epoch))")
        }
    }

    @Test("a resume in the same epoch: subscribed, one quotes frame (resumed, conflated N−S−1) rebuilding the state at N, then live ticks")
    func resumeSameEpoch() async throws {
        try await TestServer.with(Self.configure) { server, _ in
            // The first connection: a snapshot and a few ticks, then it drops.
            let first = try await server.connect()
            _ = try await first.next()
            first.send(.subscribe(symbols: ["*"]))
            var state: [String: Quote] = [:]
            var seen: UInt64 = 0
            while seen < 3 {
                switch try await first.next() {
                case .snapshot(let seq, _, let quotes, let epoch, let resumed):
                    #expect(epoch == "epoch-a" && resumed == nil)
                    for quote in quotes { state[quote.symbol] = quote }
                    seen = seq
                case .quotes(let seq, _, let quotes, _, _):
                    for quote in quotes { state[quote.symbol] = quote }
                    seen = seq
                default: break
                }
            }
            first.connection.abort()
            // Several ticks pass while it is away.
            try await eventually("ticks to pass") { await server.server.stats.snapshot().ticks >= seen + 4 }
            let second = try await server.connect()
            _ = try await second.next()
            second.send(.subscribe(symbols: ["*"], resume: FeedPosition(epoch: "epoch-a", seq: seen)))
            #expect(try await second.next().isSubscribed)
            guard case .quotes(let seq, _, let quotes, let conflated, let resumed) = try await second.next() else {
                throw TestFailure("expected the resume frame, not a snapshot")
            }
            #expect(resumed == true && seq > seen + 1)
            #expect(conflated == Int(seq - seen - 1), "conflated = N − S − 1")
            for quote in quotes { state[quote.symbol] = quote }
            #expect(state == (try await Self.replay(seed: 11, count: 40, to: seq)), "the rebuilt state is the feed's at seq \(seq)")
            // Then live ticks, each the next seq: no snapshot.
            let next = try await second.next()
            guard case .quotes(let live, _, _, nil, nil) = next else { throw TestFailure("expected a live tick, got \(next)") }
            #expect(live == seq + 1)
        }
    }

    @Test("a resume from another epoch, or from ahead of the feed, gets subscribed and a snapshot with resumed:false")
    func resynchronise() async throws {
        try await TestServer.with(Self.configure) { server, _ in
            for position in [FeedPosition(epoch: "epoch-old", seq: 3), FeedPosition(epoch: "epoch-a", seq: 1_000_000)] {
                let socket = try await server.connect()
                _ = try await socket.next()
                socket.send(.subscribe(symbols: ["AAPL", "MSFT"], resume: position))
                #expect(try await socket.next().isSubscribed)
                guard case .snapshot(_, _, let quotes, let epoch, let resumed) = try await socket.next() else {
                    throw TestFailure("expected a snapshot for \(position)")
                }
                #expect(resumed == false && epoch == "epoch-a" && quotes.map(\.symbol) == ["AAPL", "MSFT"])
            }
        }
    }

    @Test("a resume from a seq a little ahead of this server (a client of a faster edge) waits for it, then resumes")
    func resumeAheadWaits() async throws {
        try await TestServer.with(Self.configure) { server, _ in
            let socket = try await server.connect()
            guard case .welcome(_, _, _, _, let seq?, _) = try await socket.next() else { throw TestFailure("no welcome seq") }
            // Five ticks (100 ms) ahead: within the second this server is given to catch up.
            socket.send(.subscribe(symbols: ["*"], resume: FeedPosition(epoch: "epoch-a", seq: seq + 5)))
            #expect(try await socket.next().isSubscribed)
            guard case .quotes(let n, _, _, _, true) = try await socket.next() else { throw TestFailure("expected a resumed frame, not a snapshot") }
            #expect(n >= seq + 5)
        }
    }

    @Test("resuming at the feed's own seq still gets its answer: an empty quotes frame, resumed, nothing folded")
    func resumeAtCurrentSeq() async throws {
        // A feed that does not tick during the test: its seq stays where the welcome says.
        try await TestServer.with({
            Self.configure(&$0)
            $0.tickInterval = .seconds(3600)
        }) { server, _ in
            let socket = try await server.connect()
            guard case .welcome(_, _, _, _, let seq?, _) = try await socket.next() else { throw TestFailure("no welcome seq") }
            socket.send(.subscribe(symbols: ["*"], resume: FeedPosition(epoch: "epoch-a", seq: seq)))
            #expect(try await socket.next().isSubscribed)
            let text = try await socket.nextText()
            #expect(
                text == #"{"type":"quotes","seq":\#(seq),"ts":"# + text.split(separator: ":")[3].split(separator: ",")[0]
                    + #","quotes":[],"resumed":true}"#)
        }
    }

    @Test("resume applies only to a connection's first subscription: later, a subscribe with resume is a plain subscribe")
    func resumeOnlyFirst() async throws {
        try await TestServer.with(Self.configure) { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.send(.subscribe(symbols: ["AAPL"]))
            _ = try await socket.next(where: { if case .snapshot = $0 { true } else { false } })
            socket.send(.subscribe(symbols: ["MSFT"], resume: FeedPosition(epoch: "epoch-a", seq: 0)))
            let answer = try await socket.next(where: { if case .snapshot = $0 { true } else { false } })
            guard case .snapshot(_, _, let quotes, _, let resumed) = answer else { throw TestFailure("no snapshot") }
            #expect(quotes.map(\.symbol) == ["MSFT"] && resumed == nil)
        }
    }

    @Test("the feed client resumes by itself after a dropped connection: no snapshot, one resumed frame, the state right")
    func feedClientResumes() async throws {
        try await TestServer.with(Self.configure) { server, _ in
            var configuration = FeedClient.Configuration(url: server.url)
            configuration.backoff = Backoff(initial: .milliseconds(50), maximum: .milliseconds(100))
            configuration.clockPingInterval = nil
            let client = FeedClient(configuration: configuration)
            try await withRunningClient(client) { events in
                var market = MarketState()
                var opens = 0
                var quotesAfterSnapshot = 0
                var resumedSeq: UInt64?
                while resumedSeq == nil {
                    let event = try await events.next()
                    switch event {
                    case .open: opens += 1
                    case .message(let message, let receivedAt, _, _):
                        market.apply(message, receivedAt: receivedAt)
                        switch message {
                        case .snapshot:
                            #expect(opens == 1, "only the first connection gets a snapshot")
                        case .quotes(let seq, _, _, _, let resumed):
                            quotesAfterSnapshot += 1
                            if resumed == true {
                                #expect(opens == 2)
                                resumedSeq = seq
                            } else if quotesAfterSnapshot == 3 {
                                client.drop()
                            }
                        default: break
                        }
                    default: break
                    }
                }
                // Where a further reconnection would resume: this epoch, at the resume's seq or a later live tick.
                #expect(client.position.map { $0.epoch == "epoch-a" && $0.seq >= resumedSeq! } == true)
                let expected = try await Self.replay(seed: 11, count: 40, to: resumedSeq!)
                #expect(market.rows.mapValues(\.quote) == expected)
            }
        }
    }

    @Test("polling answers carry the epoch; since=EPOCH:SEQ long-polls in this epoch, and from another answers the full state at once")
    func pollingEpoch() async throws {
        try await TestServer.with(Self.configure) { server, _ in
            let current = try await server.get("/api/quotes?symbols=AAPL")
            #expect(current.status == 200 && current.body.hasPrefix(#"{"epoch":"epoch-a","seq":"#))
            try await eventually("a few ticks") { await server.server.stats.snapshot().ticks >= 3 }
            let same = try await server.get("/api/quotes/poll?since=epoch-a:1&timeoutMs=5000")
            #expect(same.status == 200 && same.body.hasPrefix(#"{"epoch":"epoch-a""#))
            // Far ahead in another epoch: read as this epoch's seq it would wait; it must answer at once, every symbol.
            let other = try await server.get("/api/quotes/poll?since=epoch-z:999999&symbols=AAPL,MSFT&timeoutMs=30000")
            #expect(other.status == 200)
            let body = try JSONSerialization.jsonObject(with: Data(other.body.utf8)) as? [String: Any]
            #expect(body?["epoch"] as? String == "epoch-a" && (body?["quotes"] as? [Any])?.count == 2)
            let bad = try await server.get("/api/quotes/poll?since=epoch-a:x")
            #expect(bad.status == 400 && bad.body.contains("EPOCH:SEQ"))
        }
    }
}
