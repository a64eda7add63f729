import Foundation
import Testing
import TickerClient
import TickerCore

@testable import TickerServer

@Suite("Limits: subscriptions per client, long-poll timeouts and concurrent long polls", .timeLimit(.minutes(2)))
struct LimitsTests {
    @Test("a subscribe over --max-subscriptions is refused with too_many_subscriptions alone, changes nothing, and the connection lives")
    func subscriptionLimit() async throws {
        try await TestServer.with({
            $0.maxSubscriptionsPerClient = 3
            $0.activity = 0  // no quotes: every message the client reads is an answer to what it sent
        }) { server, _ in
            let socket = try await server.connect()
            guard case .welcome = try await socket.next() else { throw TestFailure("no welcome") }
            socket.send(.subscribe(symbols: ["AAPL", "MSFT"]))
            #expect(try await socket.next() == .subscribed(symbols: ["AAPL", "MSFT"]))
            guard case .snapshot(_, _, let first, _, _) = try await socket.next() else { throw TestFailure("no snapshot") }
            #expect(first.map(\.symbol) == ["AAPL", "MSFT"])
            for (id, refused) in [(1, ["NVDA", "TSLA"]), (2, ["*"])] {
                socket.send(.subscribe(symbols: refused))
                socket.send(.ping(id: .number(Int64(id))))
                guard case .error(let code, let message, _) = try await socket.next() else {
                    throw TestFailure("the refusal of \(refused) was not the next message")
                }
                #expect(code == .tooManySubscriptions && message.contains("allows 3 per connection"), "\(message)")
                // The very next message is the pong: the refused request queued no subscribed and no snapshot.
                guard case .pong(.number(let echoed), _) = try await socket.next(), echoed == Int64(id) else {
                    throw TestFailure("something besides the error answered \(refused)")
                }
            }
            // Nothing changed: one more symbol still fits, and only that one is snapshotted.
            socket.send(.subscribe(symbols: ["NVDA"]))
            guard case .subscribed(let now) = try await socket.next() else { throw TestFailure("no subscribed") }
            #expect(Set(now) == ["AAPL", "MSFT", "NVDA"])
            guard case .snapshot(_, _, let added, _, _) = try await socket.next() else { throw TestFailure("no snapshot") }
            #expect(added.map(\.symbol) == ["NVDA"])
        }
    }

    @Test("long polls beyond --max-long-polls get 503 too_many_long_polls with Retry-After; the limit frees up")
    func concurrentLongPolls() async throws {
        try await TestServer.with({
            $0.maxConcurrentLongPolls = 2
            $0.activity = 0  // nothing changes, so long polls wait out their timeout
        }) { server, _ in
            let waiting = (0..<2).map { _ in Task { try await server.get("/api/quotes/poll?timeoutMs=4000") } }
            try await eventually(timeout: .seconds(3.5), "both long polls to be waiting (/healthz longPolls)") {
                try await server.get("/healthz").body.contains(#""longPolls":2"#)
            }
            let response = try await server.get("/api/quotes/poll?timeoutMs=1")
            #expect(response.status == 503)
            #expect(response.body.contains(#""error":"too_many_long_polls""#))
            #expect(response.headers.contains { $0.0.lowercased() == "retry-after" && $0.1 == "1" })
            for poll in waiting { #expect(try await poll.value.status == 204) }
            #expect(try await server.get("/api/quotes/poll?timeoutMs=1").status == 204)
        }
    }

    @Test("the long-poll timeout: the default applies without timeoutMs, and above the maximum is a 400 naming it")
    func longPollTimeoutBounds() async throws {
        try await TestServer.with({
            $0.pollLimits = .init(defaultTimeoutMs: 50, maxTimeoutMs: 1000)
            $0.activity = 0
        }) { server, _ in
            #expect(try await server.get("/api/quotes/poll").status == 204)
            let tooLong = try await server.get("/api/quotes/poll?timeoutMs=1001")
            #expect(tooLong.status == 400)
            #expect(tooLong.body.contains(#""parameter":"timeoutMs""#) && tooLong.body.contains("from 0 to 1000"), "\(tooLong.body)")
        }
    }
}
