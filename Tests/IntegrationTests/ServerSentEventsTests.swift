import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing
import TickerCore
import TickerServer

/// Reads Server-Sent Events from a streaming response body.
struct EventStreamReader {
    struct Event {
        /// The seq of `id: EPOCH:SEQ`, and its epoch.
        var id: UInt64?
        var epoch: String?
        var data: String?
        var comment: String?
    }

    private var body: HTTPClientResponse.Body.AsyncIterator
    private var pending = ""

    init(_ response: HTTPClientResponse) { body = response.body.makeAsyncIterator() }

    /// The next event or comment (blank-line separated block).
    mutating func next() async throws -> Event {
        while true {
            if let end = pending.range(of: "\n\n") {
                let block = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                var event = Event()
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("id: ") {
                        let position = FeedPosition(text: String(line.dropFirst(4)), defaultEpoch: "")
                        event.id = position?.seq
                        event.epoch = position?.epoch
                    }
                    if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)) }
                    if line.hasPrefix(": ") { event.comment = String(line.dropFirst(2)) }
                }
                if event.id != nil || event.data != nil || event.comment != nil { return event }
                continue
            }
            guard let chunk = try await body.next() else { throw TestFailure("the event stream ended") }
            pending += String(buffer: chunk)
        }
    }
}

@Suite("Server-Sent Events: GET /api/quotes/stream", .timeLimit(.minutes(2)))
struct ServerSentEventsTests {
    func open(_ server: TestServer, _ path: String, lastEventID: String? = nil) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: server.http + path)
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
        return response
    }

    @Test("a snapshot event, then one event per tick with the quotes frame's JSON and id = seq")
    func stream() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            var events = EventStreamReader(try await open(server, "/api/quotes/stream?symbols=AAPL,MSFT"))
            let first = try await events.next()
            guard case .snapshot(let seq, _, let quotes, _, _) = try ServerMessage.decode(Data((first.data ?? "").utf8)) else {
                throw TestFailure("the first event is not a snapshot: \(first)")
            }
            #expect(first.id == seq && quotes.map(\.symbol) == ["AAPL", "MSFT"])
            var last = seq
            for _ in 0..<5 {
                let event = try await events.next()
                let data = try #require(event.data)
                #expect(data.hasPrefix(#"{"type":"quotes","seq":"#))
                guard case .quotes(let seq, _, let quotes, _, _) = try ServerMessage.decode(Data(data.utf8)) else {
                    throw TestFailure("not a quotes event")
                }
                #expect(event.id == seq && seq > last && Set(quotes.map(\.symbol)).isSubset(of: ["AAPL", "MSFT"]))
                last = seq
            }
        }
    }

    @Test("Last-Event-ID resumes with what changed since that seq, as EPOCH:SEQ or a bare SEQ of this epoch")
    func resume() async throws {
        try await TestServer.with({
            $0.activity = 1
            $0.epoch = "e1"
        }) { server, _ in
            try await eventually("a few ticks") { await server.server.stats.snapshot().ticks >= 5 }
            for lastEventID in ["e1:2", "2"] {
                var events = EventStreamReader(try await open(server, "/api/quotes/stream?symbols=NVDA", lastEventID: lastEventID))
                let first = try await events.next()
                guard case .quotes(let seq, _, let quotes, _, _) = try ServerMessage.decode(Data((first.data ?? "").utf8)) else {
                    throw TestFailure("expected the changes since seq 2: \(first)")
                }
                #expect(seq > 2 && quotes.map(\.symbol) == ["NVDA"])
                #expect(first.epoch == "e1" && first.id == seq, "id: EPOCH:SEQ")
            }
        }
    }

    @Test("a Last-Event-ID from another epoch is never read as this one's: a snapshot of the full current state first")
    func otherEpoch() async throws {
        try await TestServer.with({
            $0.activity = 1
            $0.epoch = "e2"
        }) { server, _ in
            try await eventually("a few ticks") { await server.server.stats.snapshot().ticks >= 5 }
            var events = EventStreamReader(try await open(server, "/api/quotes/stream?symbols=NVDA,AAPL", lastEventID: "e1:2"))
            let first = try await events.next()
            guard case .snapshot(let seq, _, let quotes, let epoch, _) = try ServerMessage.decode(Data((first.data ?? "").utf8)) else {
                throw TestFailure("expected a snapshot: \(first)")
            }
            #expect(epoch == "e2" && first.epoch == "e2" && first.id == seq && Set(quotes.map(\.symbol)) == ["NVDA", "AAPL"])
        }
    }

    @Test("a quiet stream gets heartbeat comments")
    func heartbeat() async throws {
        try await TestServer.with({
            $0.activity = 0
            $0.heartbeatInterval = .milliseconds(200)
        }) { server, _ in
            var events = EventStreamReader(try await open(server, "/api/quotes/stream?symbols=AAPL"))
            _ = try await events.next()
            #expect(try await events.next().comment?.hasPrefix("heartbeat") == true)
        }
    }

    /// Heartbeats are far apart here, so a stream that ended only at its next heartbeat (or never) is told apart from a
    /// slow test machine.
    @Test("an open stream ends when graceful shutdown begins, not at its next heartbeat")
    func shutdown() async throws {
        let clock = ContinuousClock()
        var started: ContinuousClock.Instant?
        try await TestServer.with({ $0.heartbeatInterval = .seconds(30) }) { server, group in
            var events = EventStreamReader(try await open(server, "/api/quotes/stream"))
            _ = try await events.next()
            started = clock.now
            await group.triggerGracefulShutdown()
            do {
                while true { _ = try await events.next() }
            } catch {}
        }
        #expect(clock.now - (started ?? clock.now) < .seconds(10))
    }
}
