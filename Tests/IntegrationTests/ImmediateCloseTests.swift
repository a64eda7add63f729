import HummingbirdWebSocket
import NIOWebSocket
import Testing
import TickerClient

@Suite("A server that closes right after its 101", .timeLimit(.minutes(2)))
struct ImmediateCloseTests {
    /// What a server refusing a client after its handshake (an application close code such as 4401) looks like: the
    /// close frame can share a TCP segment with the 101 and arrive while the client is still setting up its pipeline.
    @Test("the client always sees the close frame and its events end")
    func immediateClose() async throws {
        try await FakeServer.with(
            waitForFirstMessage: false,
            script: { outbound in
                try await outbound.close(.unknown(4401), reason: "go away")
            }
        ) { url in
            var outcomes: [String: Int] = [:]
            for _ in 0..<40 {
                let connection = try await WebSocketConnection.connect(to: WebSocketURL(url), headers: [("Authorization", "Bearer x")])
                let socket = TestSocket(connection: connection, timeout: .seconds(5))
                let close = await socket.closing()
                outcomes["\(close.code.map(String.init) ?? "nil") \(close.reason)", default: 0] += 1
            }
            #expect(outcomes == ["4401 go away": 40], "\(outcomes)")
        }
    }
}
