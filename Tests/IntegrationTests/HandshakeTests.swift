import Foundation
import Testing
import TickerServer

/// The opening handshake (RFC 6455 §4) and HTTP/1.1's limits, from a raw socket: what a client that gets it wrong,
/// or a hostile one, is answered.
@Suite("The opening handshake and HTTP limits against a raw socket", .serialized, .timeLimit(.minutes(2)))
struct HandshakeTests {
    @Test("Sec-WebSocket-Accept is SHA-1 of the key and the RFC's GUID, base64 (the RFC's own example)")
    func accept() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await RawPeer(port: server.port)
            let answer = try await peer.handshake(key: "dGhlIHNhbXBsZSBub25jZQ==")
            #expect(answer.status == 101)
            #expect(answer.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            #expect(answer.header("Upgrade")?.lowercased() == "websocket" && answer.header("Connection")?.lowercased() == "upgrade")
            #expect(answer.header("Sec-WebSocket-Protocol") == "ticker.v1")
            try await peer.expectWelcome()
        }
    }

    @Test("a version other than 13 gets 426 Upgrade Required with Sec-WebSocket-Version: 13", arguments: ["8", "12", "14", "13, 8"])
    func otherVersion(_ version: String) async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await RawPeer(port: server.port)
            let answer = try await peer.handshake(version: version)
            #expect(answer.status == 426)
            #expect(answer.header("Sec-WebSocket-Version") == "13")
            #expect(answer.body.contains(#""error":"upgrade_refused""#) && answer.body.contains("13"))
            #expect(await peer.waitForEnd())
        }
    }

    @Test(
        "a Sec-WebSocket-Key that is not base64 of 16 bytes, or a missing key or version, gets 400 saying which",
        arguments: [
            ("not base64", "!!!!notbase64!!!!", "13", "Sec-WebSocket-Key"),
            ("15 bytes", Data(count: 15).base64EncodedString(), "13", "Sec-WebSocket-Key"),
            ("17 bytes", Data(count: 17).base64EncodedString(), "13", "Sec-WebSocket-Key"), ("empty", "", "13", "Sec-WebSocket-Key"),
            ("missing key", nil, "13", "Sec-WebSocket-Key"), ("missing version", "dGhlIHNhbXBsZSBub25jZQ==", nil, "Sec-WebSocket-Version"),
        ] as [(String, String?, String?, String)])
    func badKey(_ what: String, _ key: String?, _ version: String?, _ named: String) async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await RawPeer(port: server.port)
            let answer = try await peer.handshake(key: key, version: version)
            #expect(answer.status == 400, "\(what)")
            #expect(answer.body.contains(named), "\(what): \(answer.body)")
            #expect(await peer.waitForEnd())
        }
    }

    @Test("two Sec-WebSocket-Key fields, a POST, or another path get 400 with the JSON body naming /ws and ticker.v1")
    func otherRefusals() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let twoKeys = try await RawPeer(port: server.port)
            #expect(try await twoKeys.handshake(extra: ["Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="]).status == 400)
            for path in ["/", "/api/quotes", "/wss", "/ws/extra"] {
                let peer = try await RawPeer(port: server.port)
                let answer = try await peer.handshake(path: path)
                #expect(answer.status == 400, "\(path)")
                #expect(answer.body.contains(#""path":"/ws","supportedProtocols":["ticker.v1"]"#), "\(path): \(answer.body)")
            }
            let post = try await RawPeer(port: server.port)
            try await post.send(
                "POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
            #expect(try await post.readHTTPAnswer().status == 400)
        }
    }

    @Test("GET /ws without a handshake gets 426 saying what to send")
    func plainGet() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let answer = try await server.get("/ws")
            #expect(answer.status == 426)
            #expect(answer.headers.contains { $0.0.lowercased() == "upgrade" && $0.1 == "websocket" })
            #expect(answer.body.contains("Sec-WebSocket-Key"))
        }
    }

    @Test("a request head over --max-header-bytes gets 431 and the connection is closed; the server keeps serving")
    func headerTooLarge() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            // One 100 KB header line on a WebSocket handshake.
            let upgrade = try await RawPeer(port: server.port)
            let answer = try await upgrade.handshake(extra: ["X-Padding: " + String(repeating: "a", count: 100_000)])
            #expect(answer.status == 431)
            #expect(answer.body.contains("request_header_too_large"))
            #expect(await upgrade.waitForEnd())

            // An endless request line.
            let line = try await RawPeer(port: server.port)
            try await line.send("GET /" + String(repeating: "x", count: 40_000))
            #expect(try await line.readHTTPAnswer().status == 431)

            // The second request of a kept-alive connection, past the decoder's limits.
            let keptAlive = try await RawPeer(port: server.port)
            try await keptAlive.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await keptAlive.readHTTPAnswer().status == 200)
            try await keptAlive.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: \(String(repeating: "b", count: 20_000))\r\n\r\n")
            #expect(try await keptAlive.readHTTPAnswer().status == 431)

            // 16 KiB exactly is fine.
            let fits = try await RawPeer(port: server.port)
            let head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: "
            try await fits.send(head + String(repeating: "c", count: 16 * 1024 - head.utf8.count - 4) + "\r\n\r\n")
            #expect(try await fits.readHTTPAnswer().status == 200)
            _ = try await server.get("/healthz")
        }
    }

    @Test("a connection that does not finish its request head within --header-timeout-ms is answered 408 and closed")
    func slowloris() async throws {
        try await TestServer.with({
            TestServer.quiet(&$0)
            $0.headerTimeout = .seconds(1)
        }) { server, _ in
            let started = ContinuousClock.now
            let peer = try await RawPeer(port: server.port)
            try await peer.send("GET /ws HTTP/1.1\r\nHost: x\r\n")
            try await peer.send("X-A: 1\r\n")  // dribbling headers does not extend the deadline
            let answer = try await peer.readHTTPAnswer()
            #expect(answer.status == 408)
            #expect(await peer.waitForEnd())
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .seconds(1) && elapsed < .seconds(8), "closed after \(elapsed)")

            // A kept-alive connection idle past the timeout is closed too.
            let idle = try await RawPeer(port: server.port)
            try await idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await idle.readHTTPAnswer().status == 200)
            #expect(await idle.waitForEnd(timeout: .seconds(8)))
        }
    }

    @Test("a malformed request line gets 400 and is closed, rather than hanging")
    func malformed() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await RawPeer(port: server.port)
            try await peer.send("THIS IS NOT HTTP\r\n\r\n")
            let answer = try await peer.readHTTPAnswer()
            #expect(answer.status == 400)
            #expect(await peer.waitForEnd())
        }
    }
}
