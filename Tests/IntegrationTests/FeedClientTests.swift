import Foundation
import HummingbirdWebSocket
import NIOCore
import NIOPosix
import NIOWebSocket
import ServiceLifecycle
import Testing
import TickerClient
import TickerCore
import TickerServer

/// Reads a feed client's events in order; every wait is bounded by a watchdog that cancels the client.
final class EventReader {
    private var iterator: AsyncStream<ClientEvent>.Iterator
    init(_ client: FeedClient) { iterator = client.events.makeAsyncIterator() }

    func next() async throws -> ClientEvent {
        guard let event = await iterator.next() else { throw TestFailure("the client's events ended") }
        return event
    }

    /// Skips events until one matches.
    func next(where matches: (ClientEvent) -> Bool) async throws -> ClientEvent {
        while true {
            let event = try await next()
            if matches(event) { return event }
        }
    }
}

/// Runs `client` for the duration of `body`, cancelling it after `timeout` at the latest.
func withRunningClient(_ client: FeedClient, timeout: Duration = .seconds(30), _ body: (EventReader) async throws -> Void) async throws {
    let reader = EventReader(client)
    let running = Task { try await client.run() }
    let watchdog = Task {
        if (try? await Task.sleep(for: timeout)) != nil { running.cancel() }
    }
    defer {
        watchdog.cancel()
        running.cancel()
    }
    try await body(reader)
    client.close()
    _ = try? await running.value
}

extension ClientEvent {
    var isQuotes: Bool {
        if case .message(.quotes, _, _, _) = self { return true }
        return false
    }
    var isOpen: Bool {
        if case .open = self { return true }
        return false
    }
}

@Suite("The feed client against a live server", .timeLimit(.minutes(2)))
struct FeedClientTests {
    @Test("with tapFrames every frame is reported both ways: the client's masked with their key (its payload shown unmasked), the server's not")
    func framesTapped() async throws {
        try await TestServer.with { server, _ in
            var configuration = FeedClient.Configuration(url: server.url, symbols: ["AAPL"])
            configuration.tapFrames = true
            let client = FeedClient(configuration: configuration)
            try await withRunningClient(client) { events in
                var sent: FrameRecord?
                var received: FrameRecord?
                while sent == nil || received == nil {
                    guard case .frame(let record) = try await events.next() else { continue }
                    // The first text frame the client sends is its subscribe.
                    if record.direction == .sent, record.opcode == 0x1, sent == nil { sent = record }
                    if record.direction == .received, record.opcode == 0x1 { received = record }
                }
                #expect(sent?.maskKey?.count == 4 && sent?.fin == true, "a client frame is masked: \(String(describing: sent))")
                #expect(received?.maskKey == nil && received?.fin == true)
                #expect(sent.map { $0.length > 0 && $0.length <= 125 && $0.lengthForm == "7-bit" } == true)
                // The payload as the client wrote it, not as the mask scrambled it on the wire.
                #expect(sent.map { String(decoding: $0.head, as: UTF8.self) } == #"{"type":"sub"#)
            }
        }
    }

    @Test("bufferedAmount counts what send() queued at once, before the event loop has written any of it, and drains to 0")
    func bufferedAmount() async throws {
        try await TestServer.with { server, _ in
            // The connection's own one-thread loop, held busy while the messages are queued: none can be written yet.
            let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let connection = try await WebSocketConnection.connect(to: server.url, eventLoopGroup: loop)
            let hold = DispatchSemaphore(value: 0)
            loop.next().execute { hold.wait() }
            let message = ClientMessage.ping(id: .string(String(repeating: "x", count: 80))).jsonText
            for _ in 0..<20 { connection.send(message) }
            #expect(connection.bufferedAmount == 20 * message.utf8.count)
            hold.signal()
            try await eventually("the socket to take every byte") { connection.bufferedAmount == 0 }
            connection.abort()
            try await loop.shutdownGracefully()
        }
    }

    @Test("against a server whose clock runs 5 s ahead, pings measure the offset and the latency comes out right, not negative")
    func clockOffset() async throws {
        try await TestServer.with({
            $0.clockSkew = .seconds(5)
            $0.activity = 1
        }) { server, _ in
            var configuration = FeedClient.Configuration(url: server.url, symbols: ["AAPL"])
            configuration.clockPingInterval = .milliseconds(50)
            let client = FeedClient(configuration: configuration)
            try await withRunningClient(client) { events in
                var stats = ConnectionStats()
                var pongs = 0
                var raw: [Int64] = []
                while pongs < 5 || raw.count < 20 {
                    guard case .message(let message, let receivedAt, let bytes, let wire) = try await events.next() else { continue }
                    stats.recordMessage(message, receivedAt: receivedAt, bytes: bytes, wireBytes: wire)
                    if case .pong = message { pongs += 1 }
                    if case .quotes(_, let ts, _, _, _) = message { raw.append(receivedAt - ts) }
                }
                #expect(raw.sorted()[raw.count / 2] < -3_000_000, "uncorrected, now - ts would be about -5 s")
                // The server stamps its pong between the ping's sending and the pong's arrival, so the estimate is the skew
                // to within half the quickest round trip (a few ms here; more on a loaded machine).
                let offset = stats.clock.offset
                let roundTrip = try #require(stats.clock.best?.roundTrip)
                #expect(abs(offset - 5_000_000) <= roundTrip / 2 + 1_000, "the offset \(offset) µs is the skew, within half of \(roundTrip) µs")
                // Uncorrected, every latency would be clamped to 0; corrected, they are small and positive.
                let p50 = try #require(stats.latency(percentile: 0.5))
                let p99 = try #require(stats.latency(percentile: 0.99))
                #expect(p50 >= 0 && p50 < 2_000_000 && p99 > 0, "corrected latency p50 \(p50) µs, p99 \(p99) µs")
            }
        }
    }

    @Test("connects offering ticker.v1, subscribes, applies the snapshot then quotes")
    func snapshotThenUpdates() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let client = FeedClient(configuration: .init(url: server.url, symbols: ["AAPL", "MSFT"]))
            try await withRunningClient(client) { events in
                #expect(try await events.next() == .connecting(attempt: 0))
                guard case .open(let negotiated, let handshake) = try await events.next() else { throw TestFailure("expected open") }
                #expect(negotiated == "ticker.v1")
                #expect(handshake.responseHeader("Sec-WebSocket-Accept") != nil)
                #expect(client.readyState == .open)
                var market = MarketState()
                var stats = ConnectionStats()
                var quotes = 0
                while quotes < 10 {
                    guard case .message(let message, let receivedAt, let bytes, let wireBytes) = try await events.next() else { continue }
                    market.apply(message, receivedAt: receivedAt)
                    stats.recordMessage(message, receivedAt: receivedAt, bytes: bytes, wireBytes: wireBytes)
                    if case .quotes = message {
                        #expect(market.rows.count == 2, "quotes arrive after the snapshot")
                        quotes += 1
                    }
                }
                #expect(Set(market.rows.keys) == ["AAPL", "MSFT"])
                #expect(market.rows["AAPL"]!.history.count == 11)
                #expect(stats.latency(percentile: 0.5).map { $0 >= 0 && $0 < 5_000_000 } == true)
                client.close()
                guard case .close(let code, _, let clean) = try await events.next(where: { if case .close = $0 { true } else { false } }) else {
                    throw TestFailure("expected close")
                }
                #expect(code == 1000 && clean)
            }
        }
    }

    @Test("after the server restarts, the client reconnects with backoff, resubscribes and resynchronises from the snapshot")
    func reconnectAfterRestart() async throws {
        // The restart reuses the port, so it is taken below Linux's ephemeral range (32768-60999): no server another
        // test binds to port 0 can take it in between.
        var lastError: (any Error)?
        for _ in 0..<5 {
            do {
                try await reconnect(port: Int.random(in: 20_000..<30_000))
                return
            } catch let failure as TestServer.StartFailure {
                lastError = failure  // that port was taken: another one
            }
        }
        throw lastError!
    }

    private func reconnect(port: Int) async throws {
        var configuration = FeedClient.Configuration(url: try WebSocketURL("ws://127.0.0.1:\(port)/ws"), symbols: ["NVDA"])
        configuration.backoff = Backoff(initial: .milliseconds(100), maximum: .milliseconds(400))
        configuration.failFastOnFirstConnect = false
        let client = FeedClient(configuration: configuration)
        let events = EventReader(client)
        let running = Task { try await client.run() }
        let watchdog = Task {
            if (try? await Task.sleep(for: .seconds(60))) != nil { running.cancel() }
        }
        defer {
            watchdog.cancel()
            running.cancel()
        }
        try await TestServer.with({ $0.port = port }) { _, _ in
            _ = try await events.next(where: \.isQuotes)
        }
        // The first server shut down: 1001, then retries that fail while nothing listens.
        guard case .close(let code, let reason, _) = try await events.next(where: { if case .close = $0 { true } else { false } }) else {
            throw TestFailure("expected close")
        }
        #expect(code == 1001 && reason == "server shutting down")
        guard case .reconnectScheduled(1, let delay) = try await events.next() else { throw TestFailure("expected a scheduled reconnect") }
        #expect(delay >= .milliseconds(80) && delay <= .milliseconds(120))
        try await TestServer.with({ $0.port = port }) { _, _ in
            _ = try await events.next(where: \.isOpen)
            var sawSubscribed = false
            var sawSnapshot = false
            while true {
                guard case .message(let message, _, _, _) = try await events.next() else { continue }
                if case .subscribed(let symbols) = message {
                    #expect(symbols == ["NVDA"])
                    sawSubscribed = true
                }
                if case .snapshot(_, _, let quotes, _, _) = message {
                    #expect(sawSubscribed && quotes.map(\.symbol) == ["NVDA"])
                    sawSnapshot = true
                }
                if case .quotes = message, sawSnapshot { break }
            }
            client.close()
        }
        _ = try? await running.value
    }

    @Test("a first connection that fails ends run() with a clear error")
    func unreachable() async throws {
        let client = FeedClient(configuration: .init(url: try WebSocketURL("ws://127.0.0.1:1/ws")))
        do {
            try await client.run()
            Issue.record("run() returned")
        } catch let failure as FeedClient.ConnectFailure {
            #expect(failure.description.contains("connection refused"))
        }
    }

    @Test("server data the client cannot parse is an error event, never a crash; the connection carries on")
    func badServerData() async throws {
        try await FakeServer.with(script: { outbound in
            try await outbound.write(.text("not json"))
            try await outbound.write(.text(#"{"type":"warp","seq":1}"#))
            try await outbound.write(.text(#"{"type":"quotes","seq":"x"}"#))
            try await outbound.write(.binary(ByteBuffer(bytes: [0, 1, 2])))
            try await outbound.write(.text(#"{"type":"heartbeat","seq":7,"ts":1}"#))
            try await outbound.close(.policyViolation, reason: "enough")
        }) { url in
            var configuration = FeedClient.Configuration(url: try WebSocketURL(url))
            configuration.backoff = Backoff(initial: .seconds(30))
            let client = FeedClient(configuration: configuration)
            try await withRunningClient(client) { events in
                _ = try await events.next(where: \.isOpen)
                var errors: [String] = []
                var heartbeats: [UInt64] = []
                while true {
                    switch try await events.next() {
                    case .error(let description): errors.append(description)
                    case .message(.heartbeat(let seq, _), _, _, _): heartbeats.append(seq)
                    case .close(let code, let reason, _):
                        #expect(code == 1008 && reason == "enough")
                        #expect(errors.count == 4, "\(errors)")
                        #expect(errors.first?.contains("could not parse") == true)
                        #expect(heartbeats == [7], "the good message after the bad ones still arrived")
                        return
                    default: continue
                    }
                }
            }
        }
    }

    @Test("the client retries a server that is full (4503) with growing backoff, and stops on a refusal (4403)")
    func refusalCodes() async throws {
        try await FakeServer.with(
            waitForFirstMessage: false,
            script: { outbound in
                try await outbound.close(.unknown(4503), reason: "server full, try again later")
            }
        ) { url in
            var configuration = FeedClient.Configuration(url: try WebSocketURL(url))
            configuration.backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(1))
            let client = FeedClient(configuration: configuration)
            try await withRunningClient(client) { events in
                var delays: [Duration] = []
                while delays.count < 3 {
                    switch try await events.next() {
                    case .close(let code, _, _): #expect(code == 4503)
                    case .reconnectScheduled(_, let delay): delays.append(delay)
                    default: continue
                    }
                }
                #expect(delays[2] > delays[0], "the backoff grows: \(delays)")
            }
        }
        try await FakeServer.with(
            waitForFirstMessage: false,
            script: { outbound in
                try await outbound.close(.unknown(4403), reason: "origin not allowed: http://evil.example")
            }
        ) { url in
            let client = FeedClient(configuration: .init(url: try WebSocketURL(url)))
            let events = EventReader(client)
            do {
                try await client.run()
                Issue.record("run() returned after a refusal instead of reporting it")
            } catch let failure as FeedClient.ConnectFailure {
                #expect(failure.description.contains("4403"), "\(failure)")
            }
            var sawReconnect = false
            while let event = try? await events.next() { if case .reconnectScheduled = event { sawReconnect = true } }
            #expect(!sawReconnect, "a refusal is not retried")
        }
    }
}
