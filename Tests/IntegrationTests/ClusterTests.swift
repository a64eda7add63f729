import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TickerAssets
import TickerClient
import TickerCore

/// A `ticker feed` process, and the lines it prints when it stands by and when it leads.
struct FeedProcess {
    let process: ChildProcess

    static func start(_ database: String, _ arguments: [String] = []) throws -> FeedProcess {
        FeedProcess(process: try ChildProcess(try TickerBinary.url(), ["feed", "--database", database] + arguments))
    }

    /// Waits for "leading epoch E from seq S" and returns E and S.
    func leading(within timeout: Duration = .seconds(20)) async throws -> (epoch: String, seq: UInt64) {
        let line = try await process.line(within: timeout, "the feed to lead") { $0.contains("leading epoch") }
        guard let match = line.firstMatch(of: /leading epoch (\S+) from seq (\d+)/), let seq = UInt64(match.2) else {
            throw TestFailure("unexpected line: \(line)")
        }
        return (String(match.1), seq)
    }
}

extension ExternalProcesses {
    @Suite("Cluster: ticker feed into a real PostgreSQL, ticker serve --database edges", .timeLimit(.minutes(4)))
    struct ClusterTests {
        static let seed: UInt64 = 5
        static let feedArguments = ["--seed", "5", "--tick-ms", "50", "--activity", "1", "--symbol-count", "20"]
        static let edgeArguments = ["--symbol-count", "20"]

        /// The feed's quotes after `seq` ticks of the same seeded simulator.
        static func replay(to seq: UInt64) async throws -> [String: Quote] {
            try await offThePool {
                var simulator = PriceSimulator(
                    catalog: try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: 20), seed: seed, activity: 1)
                for _ in 0..<seq { _ = simulator.step(timestamp: 0) }
                return Dictionary(uniqueKeysWithValues: simulator.quotes.map { ($0.symbol, $0) })
            }
        }

        /// The seeded feed's ticks as a run without any failure publishes them.
        struct UndisturbedRun {
            private var simulator: PriceSimulator

            init() throws {
                simulator = PriceSimulator(
                    catalog: try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: 20), seed: ClusterTests.seed, activity: 1)
            }

            /// The quotes of tick `seq` (asked in increasing order; every symbol changes at activity 1).
            mutating func quotes(of seq: UInt64) -> [Quote] {
                var tick: FeedTick?
                while simulator.seq < seq { tick = simulator.step(timestamp: 0) }
                return tick?.quotes ?? []
            }
        }

        /// An edge of `database`, once it has the feed.
        static func edge(of database: PostgresServer) async throws -> BinaryServer {
            let edge = try await BinaryServer.start(["--database", database.url] + edgeArguments)
            try await eventually("the edge to have the feed") { try await edge.get("/healthz").status == 200 }
            return edge
        }

        /// A client of `edge` past its welcome, subscribed to every symbol.
        static func subscriber(of edge: BinaryServer) async throws -> TestSocket {
            let socket = try await edge.connect()
            _ = try await socket.next()
            socket.send(.subscribe(symbols: ["*"]))
            return socket
        }

        /// `pg_stat_activity`'s row of the one edge's session, with one feed running: every client session but the
        /// feed's (it holds the advisory lock) and psql's own.
        static let theEdgesSession = """
            backend_type = 'client backend' AND pid <> pg_backend_pid()
              AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory')
            """

        /// Follows a subscriber of every symbol while the edge's database connection is disrupted (`disrupt`, at seq 10)
        /// until ten frames came after it, checking that every seq is accounted for (`seq = previous + 1 + conflated`) and
        /// that the client's state is the seeded run's; returns the one folded frame's `conflated` (nil if none came).
        static func throughAnOutage(_ socket: TestSocket, disrupt: () async throws -> Void) async throws -> Int? {
            var state: [String: Quote] = [:]
            var last: UInt64?
            var disrupted = false
            var folded: Int?
            var after = 0
            while after < 10 {
                switch try await socket.next() {
                case .snapshot(let seq, _, let quotes, _, _):
                    for quote in quotes { state[quote.symbol] = quote }
                    last = seq
                case .quotes(let seq, _, let quotes, let conflated, _):
                    #expect(seq == last! + 1 + UInt64(conflated ?? 0), "seq \(seq) after \(last!), \(conflated ?? 0) folded")
                    for quote in quotes { state[quote.symbol] = quote }
                    last = seq
                    if let conflated {
                        #expect(disrupted && folded == nil, "one folded frame, for the outage")
                        folded = conflated
                    }
                    if disrupted { after += 1 }
                    if !disrupted, seq >= 10 {
                        try await disrupt()
                        disrupted = true
                    }
                default: break
                }
            }
            #expect(state == (try await replay(to: last!)), "the client's state is the seeded run's")
            return folded
        }

        /// Reads a socket's `quotes` frames as raw text, by seq, until `count` have come.
        static func frames(_ socket: TestSocket, count: Int) async throws -> [UInt64: String] {
            var frames: [UInt64: String] = [:]
            while frames.count < count {
                let text = try await socket.nextText()
                if case .quotes(let seq, _, _, _, _) = try ServerMessage.decode(Data(text.utf8)) { frames[seq] = text }
            }
            return frames
        }

        @Test("two edges follow one feed: byte-identical quotes frames for the same seq; a client resumes on the other edge")
        func twoEdges() async throws {
            try await PostgresServer.with { database in
                let feed = try FeedProcess.start(database.url, Self.feedArguments)
                let (epoch, _) = try await feed.leading()
                let edgeA = try await BinaryServer.start(["--database", database.url, "--node-name", "edge-a"] + Self.edgeArguments)
                let edgeB = try await BinaryServer.start(["--database", database.url, "--node-name", "edge-b"] + Self.edgeArguments)
                try await eventually("both edges to have the feed") {
                    let a = try await edgeA.get("/healthz")
                    let b = try await edgeB.get("/healthz")
                    return a.status == 200 && b.status == 200
                }
                let a = try await edgeA.connect()
                let b = try await edgeB.connect()
                for (socket, node) in [(a, "edge-a"), (b, "edge-b")] {
                    guard case .welcome(_, let tick, _, let welcomeEpoch, _, let welcomeNode) = try await socket.next() else {
                        throw TestFailure("no welcome")
                    }
                    #expect(welcomeEpoch == epoch && welcomeNode == node && tick == 50, "the feed's epoch and tick interval")
                    socket.send(.subscribe(symbols: ["*"]))
                }
                let fromA = try await Self.frames(a, count: 20)
                let fromB = try await Self.frames(b, count: 20)
                let common = Set(fromA.keys).intersection(fromB.keys)
                #expect(common.count >= 10, "frames for the same seqs: \(common.count)")
                for seq in common { #expect(fromA[seq] == fromB[seq], "seq \(seq): the two edges' frames differ") }

                // A client of edge A goes away at seq S and comes back on edge B.
                let s = try #require(fromA.keys.max())
                a.connection.abort()
                try await eventually("a few more ticks") {
                    try await edgeB.get("/healthz").body.firstMatch(of: /"seq":(\d+)/).map { UInt64($0.1)! >= s + 3 } ?? false
                }
                let resumed = try await edgeB.connect()
                _ = try await resumed.next()
                resumed.send(.subscribe(symbols: ["*"], resume: FeedPosition(epoch: epoch, seq: s)))
                #expect(try await resumed.next().isSubscribed)
                guard case .quotes(let n, _, let quotes, let conflated, true) = try await resumed.next() else {
                    throw TestFailure("expected a resumed frame from edge B")
                }
                #expect(conflated == (n > s + 1 ? Int(n - s - 1) : nil))
                // The client's state at S (the seeded feed's) plus the resume frame is the feed's state at N.
                var state = try await Self.replay(to: s)
                for quote in quotes { state[quote.symbol] = quote }
                #expect(state == (try await Self.replay(to: n)))
                // SIGTERM ends edges and feed promptly and cleanly (postgres-nio's LISTEN would hold a graceful
                // shutdown forever without cancelOnGracefulShutdown).
                for edge in [edgeA, edgeB] { #expect(await edge.stop(within: .seconds(5)) == 0, "an edge exits 0 within 5 s of SIGTERM") }
                feed.process.kill(signal: SIGTERM)
                #expect(await feed.process.exitStatus(within: .seconds(5)) == 0, "the feed exits 0 within 5 s of SIGTERM")
            }
        }

        @Test("through nginx (deploy/nginx.conf): the node a client lands on is killed; it reconnects through nginx to the other edge and resumes")
        func throughNginx() async throws {
            try await PostgresServer.with { database in
                let feed = try FeedProcess.start(database.url, Self.feedArguments)
                _ = try await feed.leading()
                let edges = [
                    try await BinaryServer.start(["--database", database.url, "--node-name", "edge-a"] + Self.edgeArguments),
                    try await BinaryServer.start(["--database", database.url, "--node-name", "edge-b"] + Self.edgeArguments),
                ]
                for edge in edges { try await eventually("the edges to have the feed") { try await edge.get("/healthz").status == 200 } }
                let nginx = try await NginxProcess.start(edges: edges.map(\.port))
                defer { nginx.stop() }
                var configuration = FeedClient.Configuration(url: try WebSocketURL("ws://127.0.0.1:\(nginx.port)/ws"))
                configuration.backoff = Backoff(initial: .milliseconds(100), maximum: .milliseconds(300))
                configuration.clockPingInterval = nil
                let client = FeedClient(configuration: configuration)
                try await withRunningClient(client) { events in
                    var node: String?
                    var nodes: [String] = []
                    var killed = false
                    var resumed = false
                    var quotesSinceOpen = 0
                    while !resumed {
                        guard case .message(let message, _, _, _) = try await events.next() else { continue }
                        switch message {
                        case .welcome(_, _, _, _, _, let welcomeNode):
                            node = welcomeNode
                            nodes.append(welcomeNode ?? "?")
                            quotesSinceOpen = 0
                        case .quotes(_, _, _, _, let wasResumed):
                            quotesSinceOpen += 1
                            if wasResumed == true {
                                #expect(killed, "a resume only after the reconnection")
                                resumed = true
                            } else if !killed, quotesSinceOpen >= 5 {
                                // The edge this client landed on goes away.
                                let index = node == "edge-a" ? 0 : 1
                                _ = await edges[index].stop(signal: SIGKILL)
                                killed = true
                            }
                        default: break
                        }
                    }
                    #expect(nodes.count >= 2 && nodes.first != nodes.last, "landed on \(nodes.first ?? "?"), then on \(nodes.last ?? "?")")
                }
                for edge in edges { _ = await edge.stop() }
                feed.process.kill(signal: SIGTERM)
            }
        }

        @Test("the leader feed killed: the standby leads the same epoch, the seq goes on with no gap, the prices are the seeded run's")
        func failover() async throws {
            try await PostgresServer.with { database in
                let leader = try FeedProcess.start(database.url, Self.feedArguments)
                let (epoch, _) = try await leader.leading()
                let standby = try FeedProcess.start(database.url, Self.feedArguments)
                _ = try await standby.process.line("the second feed to stand by") { $0.contains("standing by") }
                let edge = try await Self.edge(of: database)
                let socket = try await Self.subscriber(of: edge)
                var undisturbed = try UndisturbedRun()
                var state: [String: Quote] = [:]
                var last: UInt64?
                var killedAt: ContinuousClock.Instant?
                var seqAtKill: UInt64 = 0
                var takeover: Duration?
                while takeover == nil || last! < seqAtKill + 10 {
                    switch try await socket.next() {
                    case .snapshot(let seq, _, let quotes, _, _):
                        for quote in quotes { state[quote.symbol] = quote }
                        last = seq
                    case .quotes(let seq, _, let quotes, let conflated, _):
                        #expect(seq == last! + 1 && conflated == nil, "seq \(seq) after \(last!): no gap, nothing folded")
                        #expect(quotes == undisturbed.quotes(of: seq), "tick \(seq) is the one a run without the failover publishes")
                        for quote in quotes { state[quote.symbol] = quote }
                        last = seq
                        if killedAt == nil, seq >= 20 {
                            leader.process.kill()
                            killedAt = .now
                            seqAtKill = seq
                        } else if let killedAt, takeover == nil, seq > seqAtKill + 1 {
                            takeover = .now - killedAt
                        }
                    default: break
                    }
                }
                let (standbyEpoch, from) = try await standby.leading(within: .seconds(1))
                #expect(standbyEpoch == epoch && from >= seqAtKill, "the same history, continued")
                #expect(state == (try await Self.replay(to: last!)), "the prices a run without the failover publishes")
                // At most 1 s plus a tick in the contract; bounded loosely here against a loaded machine.
                #expect(try #require(takeover) < .seconds(3), "takeover took \(takeover!)")
                print("failover: the first tick from the new leader reached the client \(takeover!) after the kill")
                _ = await edge.stop()
                standby.process.kill(signal: SIGTERM)
            }
        }

        @Test("the leader's host vanishes (its session's packets dropped): PostgreSQL ends the session, the standby leads within 5 s, no gap")
        func leaderHostVanishes() async throws {
            try await PostgresServer.with { database in
                let leader = try FeedProcess.start(database.url, Self.feedArguments)
                let (epoch, _) = try await leader.leading()
                let standby = try FeedProcess.start(database.url, Self.feedArguments)
                _ = try await standby.process.line("the second feed to stand by") { $0.contains("standing by") }
                let edge = try await Self.edge(of: database)
                let socket = try await Self.subscriber(of: edge)
                var undisturbed = try UndisturbedRun()
                var state: [String: Quote] = [:]
                var last: UInt64?
                var filter: PacketFilter?
                var cutAt: ContinuousClock.Instant?
                var previousTickAt = ContinuousClock.now
                var takeover: Duration?
                do {
                    while takeover == nil || last! < 40 {
                        let message = try await socket.next()
                        let now = ContinuousClock.now
                        switch message {
                        case .snapshot(let seq, _, let quotes, _, _):
                            for quote in quotes { state[quote.symbol] = quote }
                            last = seq
                        case .quotes(let seq, _, let quotes, let conflated, _):
                            #expect(seq == last! + 1 && conflated == nil, "seq \(seq) after \(last!): no gap, nothing folded")
                            #expect(quotes == undisturbed.quotes(of: seq), "tick \(seq) is the one a run without the failover publishes")
                            for quote in quotes { state[quote.symbol] = quote }
                            last = seq
                            defer { previousTickAt = now }
                            if filter == nil, seq >= 10 {
                                // The session holding the lock: its client port, as PostgreSQL sees it.
                                let port = try await database.sql(
                                    """
                                    SELECT client_port FROM pg_stat_activity
                                    WHERE pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)
                                    """)
                                filter = try await PacketFilter.dropping(port: try #require(Int(port), "the leader's port: \(port)"))
                                cutAt = .now
                            } else if let cutAt, takeover == nil, now - previousTickAt > .milliseconds(500) {
                                // The first tick after the silence is the new leader's.
                                takeover = now - cutAt
                            }
                        default: break
                        }
                    }
                } catch {
                    await filter?.lift()
                    throw error
                }
                await filter?.lift()
                let (standbyEpoch, _) = try await standby.leading(within: .seconds(1))
                #expect(standbyEpoch == epoch, "the same history, continued")
                #expect(state == (try await Self.replay(to: last!)), "the prices a run without the failover publishes")
                // 1 s of silence, two keepalive probes and the 3 s user timeout, then the standby's next 250 ms poll.
                #expect(try #require(takeover) < .seconds(5), "takeover took \(takeover!)")
                print("host vanished: the first tick from the new leader reached the client \(takeover!) after the cut")
                // The deposed leader finds its session gone and stands by: it never writes again.
                _ = try await leader.process.line(within: .seconds(20), "the deposed leader to stand by") { $0.contains("standing by") }
                _ = await edge.stop()
                leader.process.kill(signal: SIGTERM)
                standby.process.kill(signal: SIGTERM)
            }
        }

        @Test(
            "the edge's database connection killed (pg_terminate_backend): it reconnects and catches up, the ticks it missed folded into one frame, none lost or repeated"
        )
        func terminatedBackend() async throws {
            try await PostgresServer.with { database in
                let feed = try FeedProcess.start(database.url, Self.feedArguments)
                _ = try await feed.leading()
                let edge = try await Self.edge(of: database)
                let socket = try await Self.subscriber(of: edge)
                let folded = try await Self.throughAnOutage(socket) {
                    let killed = try await database.sql(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE \(Self.theEdgesSession)")
                    #expect(killed == "1", "the edge's one session")
                }
                // The edge waits 200 ms before it reconnects: four 50 ms ticks at least, caught up at once.
                #expect((folded ?? 0) >= 2, "the ticks missed reach the client folded, as for a slow consumer")
                _ = await edge.stop()
                feed.process.kill(signal: SIGTERM)
            }
        }

        @Test(
            "the edge's database connection silently dead (its packets dropped): after 3 silent tick intervals it checks, reconnects and catches up, the missed ticks folded"
        )
        func silentlyDeadConnection() async throws {
            try await PostgresServer.with { database in
                let feed = try FeedProcess.start(database.url, Self.feedArguments)
                _ = try await feed.leading()
                let edge = try await Self.edge(of: database)
                let socket = try await Self.subscriber(of: edge)
                var filter: PacketFilter?
                let folded: Int?
                do {
                    folded = try await Self.throughAnOutage(socket) {
                        let port = try await database.sql("SELECT client_port FROM pg_stat_activity WHERE \(Self.theEdgesSession)")
                        filter = try await PacketFilter.dropping(port: try #require(Int(port), "the edge's port: \(port)"))
                    }
                } catch {
                    await filter?.lift()
                    throw error
                }
                await filter?.lift()
                // Three 50 ms intervals of silence, a SELECT 1 left 2 s to answer, 200 ms before reconnecting: ~45 ticks.
                #expect((folded ?? 0) >= 10, "the ticks missed while the connection was dead reach the client folded")
                _ = await edge.stop()
                feed.process.kill(signal: SIGTERM)
            }
        }

        @Test("PostgreSQL down for a while: the edge keeps its clients, heartbeating, /healthz 503 says why; back up, it goes on")
        func databaseDown() async throws {
            try await PostgresServer.with { database in
                let feed = try FeedProcess.start(database.url, Self.feedArguments)
                let (epoch, _) = try await feed.leading()
                let edge = try await BinaryServer.start(["--database", database.url, "--heartbeat-ms", "200"] + Self.edgeArguments)
                try await eventually("the edge to have the feed") { try await edge.get("/healthz").status == 200 }
                let socket = try await Self.subscriber(of: edge)
                var last: UInt64 = 0
                while last < 10 {
                    if case .quotes(let seq, _, _, _, _) = try await socket.next() { last = seq }
                }
                try await database.stopServer(mode: "fast")
                try await eventually("/healthz to say the database is unreachable") {
                    let health = try await edge.get("/healthz")
                    return health.status == 503 && health.body.contains(#""connected":false"#) && health.body.contains(#""problem":"#)
                }
                // No tick can come; the client is kept, and heartbeats say the connection is alive.
                var heartbeats = 0
                while heartbeats < 3 {
                    switch try await socket.next() {
                    case .heartbeat: heartbeats += 1
                    case .quotes(let seq, _, _, _, _): last = seq
                    default: break
                    }
                }
                try await database.startServer()
                try await eventually("/healthz to be 200 again") { try await edge.get("/healthz").status == 200 }
                var after = 0
                while after < 5 {
                    guard case .quotes(let seq, _, _, let conflated, _) = try await socket.next() else { continue }
                    #expect(seq == last + 1 + UInt64(conflated ?? 0), "seq \(seq) after \(last): nothing missed or repeated")
                    last = seq
                    after += 1
                }
                #expect(try await edge.get("/healthz").body.contains(#""epoch":"\#(epoch)""#), "the same history")
                _ = await edge.stop()
                feed.process.kill(signal: SIGTERM)
            }
        }

        @Test("PostgreSQL restarted cleanly: feed and edge reconnect in the same epoch and the client misses nothing")
        func cleanRestart() async throws {
            try await PostgresServer.with { database in
                let feed = try FeedProcess.start(database.url, Self.feedArguments)
                let (epoch, _) = try await feed.leading()
                let edge = try await Self.edge(of: database)
                let socket = try await Self.subscriber(of: edge)
                var last: UInt64?
                var restarted = false
                var after = 0
                while after < 10 {
                    switch try await socket.next() {
                    case .snapshot(let seq, _, _, _, _): last = seq
                    case .quotes(let seq, _, _, let conflated, _):
                        #expect(seq == last! + 1 + UInt64(conflated ?? 0), "seq \(seq) after \(last!): nothing missed or repeated")
                        last = seq
                        if restarted { after += 1 }
                        if !restarted, seq >= 10 {
                            try await database.stopServer(mode: "fast")
                            try await database.startServer()
                            restarted = true
                        }
                    default: break
                    }
                }
                #expect(try await feed.leading(within: .seconds(20)).epoch == epoch, "the new session continues the same epoch")
                #expect(try await edge.get("/healthz").body.contains(#""epoch":"\#(epoch)""#))
                _ = await edge.stop()
                feed.process.kill(signal: SIGTERM)
            }
        }

        @Test("PostgreSQL crashed (its unlogged tick history lost): a new epoch; clients are closed with 1012 and resynchronise from a snapshot")
        func crash() async throws {
            try await PostgresServer.with { database in
                let feed = try FeedProcess.start(database.url, Self.feedArguments)
                let (epoch, _) = try await feed.leading()
                let edge = try await Self.edge(of: database)
                let socket = try await Self.subscriber(of: edge)
                var seen: UInt64 = 0
                while seen < 10 {
                    if case .quotes(let seq, _, _, _, _) = try await socket.next() { seen = seq }
                }
                try await database.stopServer(mode: "immediate")
                try await database.startServer()
                let (newEpoch, from) = try await feed.leading(within: .seconds(30))
                #expect(newEpoch != epoch && from == 0, "history lost: a new epoch from seq 0")
                // The edge closes its clients so they resynchronise.
                let close = await socket.closing()
                #expect(close.code == 1012 && close.reason == "new epoch")
                try await eventually("the edge to follow the new epoch") { try await edge.get("/healthz").body.contains(newEpoch) }
                let again = try await edge.connect()
                _ = try await again.next()
                again.send(.subscribe(symbols: ["*"], resume: FeedPosition(epoch: epoch, seq: seen)))
                #expect(try await again.next().isSubscribed)
                guard case .snapshot(let seq, _, let quotes, let snapshotEpoch, false) = try await again.next() else {
                    throw TestFailure("expected a snapshot with resumed:false")
                }
                #expect(snapshotEpoch == newEpoch && quotes.count == 20)
                #expect(
                    quotes
                        == (try await Self.replay(to: seq)).values.sorted { a, b in
                            quotes.firstIndex { $0.symbol == a.symbol }! < quotes.firstIndex { $0.symbol == b.symbol }!
                        }, "the new epoch replays the seed from its start")
                _ = await edge.stop()
                feed.process.kill(signal: SIGTERM)
            }
        }

        @Test("before any feed: the edge stays up, /healthz 503 says why, new WebSockets get 1013 no feed yet; an edge of another universe exits 1")
        func noFeedAndMismatch() async throws {
            try await PostgresServer.with { database in
                let edge = try await BinaryServer.start(["--database", database.url] + Self.edgeArguments)
                try await eventually("the edge to reach the database") { try await edge.get("/healthz").body.contains(#""connected":true"#) }
                let health = try await edge.get("/healthz")
                #expect(health.status == 503 && health.body.contains("no tick from the feed yet"), "\(health.body)")
                #expect(try await edge.get("/api/quotes").status == 503)
                // No welcome: the 101, then at once the close.
                let early = try await edge.connect()
                guard case .closed(let code, let reason) = await early.nextEvent() else { throw TestFailure("expected the close first") }
                #expect(code == 1013 && reason == "no feed yet")
                let feed = try FeedProcess.start(database.url, Self.feedArguments)
                _ = try await feed.leading()
                try await eventually("the edge to get the feed") { try await edge.get("/healthz").status == 200 }
                // An edge serving 10 symbols refuses a feed of 20, saying both.
                let wrong = try await BinaryRun.ticker(
                    ["serve", "--port", "0", "--database", database.url, "--symbol-count", "10"], timeout: .seconds(30))
                #expect(wrong.status == 1, "\(wrong.stderr)")
                #expect(
                    wrong.stderr.contains("this process has 10 symbols (hash ") && wrong.stderr.contains("the feed has 20 symbols (hash "),
                    "\(wrong.stderr)")
                _ = await edge.stop()
                feed.process.kill(signal: SIGTERM)
            }
        }

        @Test("a wrong password: the edge says which host and PostgreSQL's answer in /healthz (503), and a feed keeps retrying")
        func wrongPassword() async throws {
            try await PostgresServer.with { database in
                try await database.requirePassword("right")
                let wrong = "postgres://postgres:wrong@127.0.0.1:\(database.port)/postgres"
                let edge = try await BinaryServer.start(["--database", wrong] + Self.edgeArguments)
                try await eventually("the edge to report the refusal") {
                    try await edge.get("/healthz").body.contains("password authentication failed")
                }
                let health = try await edge.get("/healthz")
                #expect(
                    health.status == 503 && health.body.contains("127.0.0.1:\(database.port)") && !health.body.contains("wrong"), "\(health.body)")
                // PGPASSWORD supplies it when the URL has none, and then the edge gets the feed.
                let feed = try ChildProcess(
                    try TickerBinary.url(), ["feed", "--database", "postgres://postgres@127.0.0.1:\(database.port)/postgres"] + Self.feedArguments,
                    environment: ProcessInfo.processInfo.environment.merging(["PGPASSWORD": "right"]) { $1 })
                _ = try await feed.line("the feed to lead with PGPASSWORD") { $0.contains("leading epoch") }
                _ = await edge.stop()
                feed.kill(signal: SIGTERM)
            }
        }

        @Test("an unreachable database: the edge says which host and why in /healthz (503) and keeps retrying; malformed URLs exit 64")
        func unreachableAndMalformed() async throws {
            let edge = try await BinaryServer.start(["--database", "postgres://postgres@127.0.0.1:1/postgres"])
            try await eventually("the edge to report the failure") { try await edge.get("/healthz").body.contains("127.0.0.1:1") }
            let health = try await edge.get("/healthz")
            #expect(health.status == 503 && health.body.contains(#""connected":false"#), "\(health.body)")
            #expect(await edge.stop(within: .seconds(5)) == 0, "an edge still retrying exits 0 within 5 s of SIGTERM")
            for (url, message) in [
                ("postgres://postgres@127.0.0.1:99999/postgres", "port 99999, out of range"),
                ("mysql://root@127.0.0.1/db", "scheme \"mysql\""),
                ("postgres://postgres@127.0.0.1:5432", "names no database"),
            ] {
                let serve = try await BinaryRun.ticker(["serve", "--port", "0", "--database", url])
                #expect(serve.status == 64 && serve.stderr.contains(message), "\(url): \(serve.stderr)")
            }
            let feed = try await BinaryRun.ticker(["feed", "--database", "postgres://u:secret@[::1/db"])
            #expect(feed.status == 64 && !feed.stderr.contains("secret"), "the password is not repeated: \(feed.stderr)")
            let none = try await BinaryRun.ticker(["feed"])
            #expect(none.status == 64 && none.stderr.contains("--database"))
        }
    }
}

/// nginx running deploy/nginx.conf (its ports replaced by the test's) in a temporary prefix, in the foreground.
struct NginxProcess {
    let process: ChildProcess
    let port: Int
    let prefix: URL

    static func start(edges: [Int]) async throws -> NginxProcess {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/nginx.conf")
        var config = try String(contentsOf: shipped, encoding: .utf8)
        let port = try PostgresServer.freePort()
        config = config.replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(port)")
        config = config.replacingOccurrences(of: "127.0.0.1:8081", with: "127.0.0.1:\(edges[0])")
        config = config.replacingOccurrences(of: "127.0.0.1:8082", with: "127.0.0.1:\(edges[1])")
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("ticker-nginx-\(UUID().uuidString.prefix(8))")
        for directory in ["logs", "tmp"] {
            try FileManager.default.createDirectory(at: prefix.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        try config.write(to: prefix.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        let binary =
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") ? URL(fileURLWithPath: "/usr/sbin/nginx") : try BinaryRun.locate("nginx")
        let process = try ChildProcess(binary, ["-p", prefix.path, "-c", "nginx.conf", "-g", "daemon off;"])
        let nginx = NginxProcess(process: process, port: port, prefix: prefix)
        try await eventually("nginx to listen on \(port)") {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            request.method = .GET
            return (try? await HTTPClient.shared.execute(request, timeout: .seconds(2)).status.code) == 200
        }
        return nginx
    }

    func stop() {
        process.kill(signal: SIGTERM)
        try? FileManager.default.removeItem(at: prefix)
    }
}
