import Foundation
import Testing
import TickerClient
import TickerCore

@testable import TickerServer

@Suite("Access control: origin, token, connection limit", .timeLimit(.minutes(2)))
struct AccessControlTests {
    @Test("a browser from another Origin is closed with 4403 and its HTTP requests get 403; others are unaffected")
    func origin() async throws {
        try await TestServer.with({ $0.access.allowedOrigins = ["http://good.example"] }) { server, _ in
            let evil = try await server.connect(headers: [("Origin", "http://evil.example")])
            let close = await evil.closing()
            #expect(close.code == 4403 && close.reason == "origin not allowed: http://evil.example", "\(close)")
            let good = try await server.connect(headers: [("Origin", "http://good.example")])
            guard case .welcome = try await good.next() else { throw TestFailure("the allowed origin got no welcome") }
            let tool = try await server.connect()
            guard case .welcome = try await tool.next() else { throw TestFailure("a client without Origin got no welcome") }
            let refused = try await server.get("/api/quotes", headers: [("Origin", "http://evil.example")])
            #expect(refused.status == 403 && refused.body.contains(#""error":"forbidden_origin""#))
            #expect(try await server.get("/api/quotes", headers: [("Origin", "http://good.example")]).status == 200)
        }
    }

    @Test("with a token: missing or wrong gets 4401 and 401; a bearer header or ?token= gets in; health stays open")
    func token() async throws {
        try await TestServer.with({ $0.access.token = "s3cret" }) { server, _ in
            for socket in [try await server.connect(), try await server.connect(headers: [("Authorization", "Bearer wrong")])] {
                let close = await socket.closing()
                #expect(close.code == 4401 && close.reason == "missing or invalid token", "\(close)")
            }
            let bearer = try await server.connect(headers: [("Authorization", "Bearer s3cret")])
            guard case .welcome = try await bearer.next() else { throw TestFailure("the bearer token was refused") }
            let query = try await server.connect(query: "?token=s3cret")
            guard case .welcome = try await query.next() else { throw TestFailure("the query token was refused") }

            let missing = try await server.get("/api/quotes")
            #expect(missing.status == 401 && missing.body.contains(#""error":"unauthorized""#))
            #expect(missing.headers.contains { $0.0.lowercased() == "www-authenticate" && $0.1 == "Bearer" })
            #expect(try await server.get("/api/quotes", headers: [("Authorization", "Bearer s3cret")]).status == 200)
            #expect(try await server.get("/api/quotes?token=s3cret").status == 200)
            // The page (which itself needs the token to connect), health checks and scrapers stay open.
            for path in ["/", "/app.js", "/healthz", "/metrics"] { #expect(try await server.get(path).status == 200, "\(path)") }
        }
    }

    @Test("past --max-connections a WebSocket is closed with 4503 and an event stream gets 503")
    func maxConnections() async throws {
        try await TestServer.with({ $0.access.maxConnections = 1 }) { server, _ in
            let first = try await server.connect()
            guard case .welcome = try await first.next() else { throw TestFailure("no welcome") }
            let second = try await server.connect()
            let close = await second.closing()
            #expect(close.code == 4503 && close.reason == "server full, try again later", "\(close)")
            let full = try await server.get("/api/quotes/stream")
            #expect(full.status == 503)
            #expect(full.body == #"{"error":"server_full","message":"server full, try again later"}"#, "\(full.body)")
            first.connection.close()
            _ = await first.closing()
            try await eventually("the slot to free up") { await server.server.stats.snapshot().connections == 0 }
            let third = try await server.connect()
            guard case .welcome = try await third.next() else { throw TestFailure("the freed slot was not reusable") }
        }
    }

    @Test("ticker watch --token gets in; a wrong token ends with the server's reason and exit 3, without retrying")
    func watchToken() async throws {
        try await TestServer.with({ $0.access.token = "s3cret" }) { server, _ in
            let url = "ws://127.0.0.1:\(server.port)/ws"
            let good = try await BinaryRun.ticker(["watch", "--headless", "--format", "jsonl", "--url", url, "--token", "s3cret", "--count", "1"])
            #expect(good.status == 0, "\(good.stderr)")
            let bad = try await BinaryRun.ticker(["watch", "--headless", "--format", "jsonl", "--url", url, "--token", "nope", "--duration", "20"])
            #expect(bad.status == 3)
            #expect(bad.stderr.contains("4401 missing or invalid token"))
            #expect(!bad.stdout.contains(#""event":"reconnect""#), "a refusal is not retried")
        }
    }

    @Test("tokens are compared whole, in constant time, from a header or the query")
    func tokenParsing() {
        #expect(AccessPolicy.constantTimeEquals("s3cret", "s3cret"))
        #expect(!AccessPolicy.constantTimeEquals("s3cret", "s3cre"))
        #expect(!AccessPolicy.constantTimeEquals("", "x"))
        #expect(AccessPolicy.queryToken("/ws?symbols=A&token=a%2Bb") == "a+b")
        #expect(AccessPolicy.queryToken("/ws?symbols=A") == nil)
    }
}
