import Foundation
import Testing
import TickerClient
import TickerCore

@testable import TickerServer

@Suite("Limits: subscriptions per client, long-poll timeouts and concurrent long polls", .timeLimit(.minutes(2)))
struct LimitsTests {
    @Test("a subscribe over --max-subscriptions is refused with too_many_subscriptions, changes nothing, and the connection lives")
    func subscriptionLimit() async throws {
        try await TestServer.with({ $0.maxSubscriptionsPerClient = 3 }) { server, _ in
            let socket = try await server.connect()
            guard case .welcome = try await socket.next() else { throw TestFailure("no welcome") }
            socket.send(.subscribe(symbols: ["AAPL", "MSFT"]))
            guard case .subscribed(let first) = try await socket.next(where: \.isSubscribed) else { throw TestFailure("") }
            #expect(Set(first) == ["AAPL", "MSFT"])
            socket.send(.subscribe(symbols: ["NVDA", "TSLA"]))
            guard case .error(let code, let message, _) = try await socket.next(where: \.isError) else { throw TestFailure("") }
            #expect(code == .tooManySubscriptions && message.contains("allows 3 per connection"), "\(message)")
            socket.send(.subscribe(symbols: ["*"]))
            guard case .error(.tooManySubscriptions, _, _) = try await socket.next(where: \.isError) else {
                throw TestFailure("* (every symbol) was not counted against the limit")
            }
            // Still subscribed to the first two, still served: an unsubscribe and a ping are answered.
            socket.send(.subscribe(symbols: ["NVDA"]))
            guard case .subscribed(let now) = try await socket.next(where: \.isSubscribed) else { throw TestFailure("") }
            #expect(Set(now) == ["AAPL", "MSFT", "NVDA"])
            socket.send(.ping(id: .number(7)))
            guard case .pong(.number(7), _) = try await socket.next(where: \.isPong) else { throw TestFailure("no pong") }
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
