import Foundation
import NIOHTTP1
import ServiceLifecycle
import Testing
import TickerAssets
import TickerClient
import TickerCore
import TickerServer

@Suite("Slow clients: conflation and the slow-consumer close", .timeLimit(.minutes(2)))
struct BackpressureTests {
    @Test("a reader that stalls gets one conflated frame holding exactly the feed's state at its seq, seq still increasing")
    func conflation() async throws {
        try await TestServer.with({
            $0.symbolCount = 300
            $0.activity = 1
            $0.seed = 7
            $0.tickInterval = .milliseconds(10)
            $0.outboxTickCapacity = 4
            $0.socketSendBufferBytes = 16 * 1024
            $0.slowConsumerTimeout = .seconds(60)
        }) { server, _ in
            let slow = try await server.connect(receiveBufferSize: 4096)
            _ = try await slow.next()
            slow.send(.subscribe(symbols: ["*"]))
            _ = try await slow.next(where: { if case .snapshot = $0 { true } else { false } })
            slow.connection.setReading(false)
            try await eventually("the server to start conflating") { await server.server.stats.snapshot().connectionsBehind > 0 }
            // Its outbox is full: the ticks from now on are folded. Three of them, before it reads again (else it may
            // drain the full outbox first, and never need a folded frame).
            let behindAt = await server.server.stats.snapshot().ticks
            try await eventually("three more ticks") { await server.server.stats.snapshot().ticks >= behindAt + 3 }
            slow.connection.setReading(true)
            var lastSeq: UInt64 = 0
            while true {
                guard case .quotes(let seq, _, let quotes, let conflated, _) = try await slow.next() else { continue }
                #expect(seq > lastSeq)
                lastSeq = seq
                guard let conflated else { continue }
                // The folded frame is the feed's state at its seq: replay the same seeded simulator that many ticks.
                let expected = try await offThePool {
                    var simulator = PriceSimulator(
                        catalog: try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: 300), seed: 7, activity: 1)
                    for _ in 0..<seq { _ = simulator.step(timestamp: 0) }
                    return simulator.quotes
                }
                #expect(quotes.count == 300)
                #expect(quotes == expected, "the conflated frame at seq \(seq) is not the feed's state")
                #expect(conflated >= 1)
                try await eventually("the conflated ticks to be counted") {
                    await server.server.stats.snapshot().conflatedTicks >= conflated
                }
                break
            }
            // Once it has caught up, one frame per tick again (the socket's 20 s watchdog bounds the wait).
            while true {
                guard case .quotes(let next, _, _, let conflated, _) = try await slow.next(where: \.isQuotes) else { continue }
                #expect(next > lastSeq)
                lastSeq = next
                if conflated == nil { break }
            }
        }
    }

    @Test("a client stuck behind past the timeout is closed with 1008 slow consumer, which it reads once it reads again")
    func slowConsumer() async throws {
        try await TestServer.with({
            $0.symbolCount = 300
            $0.activity = 1
            $0.tickInterval = .milliseconds(20)
            $0.outboxTickCapacity = 4
            $0.socketSendBufferBytes = 16 * 1024
            $0.slowConsumerTimeout = .milliseconds(300)
            $0.closeTimeout = .seconds(10)
        }) { server, _ in
            let slow = try await server.connect(receiveBufferSize: 4096)
            _ = try await slow.next()
            slow.send(.subscribe(symbols: ["*"]))
            _ = try await slow.next(where: { if case .snapshot = $0 { true } else { false } })
            slow.connection.setReading(false)
            try await eventually("the slow consumer to be closed") { await server.server.stats.snapshot().slowConsumersClosed > 0 }
            slow.connection.setReading(true)
            let close = await slow.closing()
            #expect(close.code == 1008)
            #expect(close.reason == "slow consumer")
        }
    }

    @Test("a slow consumer that reads nothing is dropped a close timeout later; a healthy client keeps every tick throughout")
    func slowConsumerDropped() async throws {
        try await TestServer.with({
            $0.symbolCount = 300
            $0.activity = 1
            $0.tickInterval = .milliseconds(20)
            $0.outboxTickCapacity = 4
            $0.socketSendBufferBytes = 16 * 1024
            $0.slowConsumerTimeout = .milliseconds(300)
            $0.closeTimeout = .milliseconds(500)
        }) { server, _ in
            let healthy = try await server.connect()
            _ = try await healthy.next()
            healthy.send(.subscribe(symbols: ["AAPL"]))
            let slow = try await server.connect(receiveBufferSize: 4096)
            _ = try await slow.next()
            slow.send(.subscribe(symbols: ["*"]))
            _ = try await slow.next(where: { if case .snapshot = $0 { true } else { false } })
            slow.connection.setReading(false)
            try await eventually("the slow consumer to be closed") { await server.server.stats.snapshot().slowConsumersClosed > 0 }
            let closedAt = ContinuousClock.now
            // Its close frame waits behind data it does not read: the server drops the TCP connection instead.
            try await eventually(timeout: .seconds(10), "the stuck connection to be dropped") {
                let stats = await server.server.stats.snapshot()
                return stats.connections == 1 && stats.channels == 1
            }
            #expect(ContinuousClock.now - closedAt < .seconds(5), "dropped about a close timeout (0.5 s) after its close")
            let lastSeqNow = try await server.get("/api/quotes?symbols=AAPL").body

            // The healthy client, read afterwards from its own buffer: every tick from its snapshot to past the drop.
            guard case .snapshot(let snapshotSeq, _, _, _, _) = try await healthy.next(where: { if case .snapshot = $0 { true } else { false } })
            else { throw TestFailure("no snapshot") }
            let pastTheDrop = try JSONDecoder().decode(QuotesSeq.self, from: Data(lastSeqNow.utf8)).seq + 10
            var expected = snapshotSeq + 1
            while expected <= pastTheDrop {
                guard case .quotes(let seq, _, _, let conflated, _) = try await healthy.next(where: \.isQuotes) else { continue }
                #expect(seq == expected && conflated == nil, "the healthy client missed or folded a tick")
                expected = seq + 1
            }

            slow.connection.setReading(true)
            let close = await slow.closing()
            #expect(close.code == nil, "no close frame reached it: the connection was dropped (1006)")
        }
    }

    private struct QuotesSeq: Decodable { var seq: UInt64 }

    @Test("a peer that answers pings stays connected across many ping intervals")
    func livePeer() async throws {
        try await TestServer.with({
            $0.pingInterval = .milliseconds(100)
            $0.pingTimeout = .milliseconds(500)
            $0.heartbeatInterval = .milliseconds(200)
        }) { server, _ in
            let quiet = try await server.connect()
            _ = try await quiet.next()
            // Subscribed to nothing and sending nothing: only its answers to the server's pings show it is alive.
            // Ten heartbeats are two seconds: twenty ping intervals, and time enough for an unanswered ping to time
            // out three times over (the timeout leaves room for a loaded machine's round trip).
            for _ in 0..<10 {
                guard case .heartbeat = try await quiet.next() else { throw TestFailure("expected a heartbeat") }
            }
            #expect(await server.server.stats.snapshot().connections == 1)
        }
    }

    @Test("a peer that stops answering pings is found and closed with 1001 Ping timeout")
    func deadPeer() async throws {
        try await TestServer.with({
            $0.pingInterval = .milliseconds(200)
            $0.pingTimeout = .milliseconds(200)
            $0.closeTimeout = .milliseconds(300)
        }) { server, _ in
            let silent = try await server.connect()
            _ = try await silent.next()
            // Subscribed to nothing, so only the server's pings go unanswered (nothing is read, so no pong goes back).
            silent.connection.setReading(false)
            try await eventually("the server to drop the silent peer") { await server.server.stats.snapshot().connections == 0 }
            silent.connection.setReading(true)
            let close = await silent.closing()
            #expect(close.code == 1001)
            #expect(close.reason == "Ping timeout")
        }
    }
}
