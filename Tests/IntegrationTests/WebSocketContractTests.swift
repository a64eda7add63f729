import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket
import ServiceLifecycle
import Testing
import TickerAssets
import TickerClient
import TickerCore
import TickerServer

@Suite("ticker.v1 over a real WebSocket", .timeLimit(.minutes(2)))
struct WebSocketContractTests {
    @Test("the handshake echoes ticker.v1 and the first message is welcome, keys in contract order")
    func welcome() async throws {
        try await TestServer.with { server, _ in
            let socket = try await server.connect()
            #expect(socket.connection.negotiatedProtocol == "ticker.v1")
            #expect(socket.connection.handshake.request.first == "GET /ws HTTP/1.1")
            #expect(socket.connection.handshake.response.first == "HTTP/1.1 101 Switching Protocols")
            #expect(socket.connection.handshake.responseHeader("sec-websocket-accept") != nil)
            let text = try await socket.nextText()
            #expect(text.hasPrefix(#"{"type":"welcome","protocol":"ticker.v1","symbols":[{"symbol":"AAPL","name":"Apple Inc."}"#))
            guard case .welcome(let symbols, let tickIntervalMs, let heartbeatIntervalMs, _, _, _) = try ServerMessage.decode(Data(text.utf8))
            else { throw TestFailure("not a welcome: \(text)") }
            #expect(symbols.count >= 50)
            #expect(tickIntervalMs == 20 && heartbeatIntervalMs == 5000)
        }
    }

    @Test("a client offering no subprotocol is accepted without one")
    func noSubprotocol() async throws {
        try await TestServer.with { server, _ in
            let socket = try await server.connect(protocols: [])
            #expect(socket.connection.negotiatedProtocol == nil)
            #expect(socket.connection.handshake.responseHeader("sec-websocket-protocol") == nil)
            guard case .welcome = try await socket.next() else { throw TestFailure("no welcome") }
        }
    }

    @Test("a client offering ticker.v1 among others gets ticker.v1")
    func subprotocolAmongOthers() async throws {
        try await TestServer.with { server, _ in
            let socket = try await server.connect(protocols: ["chat.v9", "ticker.v1"])
            #expect(socket.connection.negotiatedProtocol == "ticker.v1")
        }
    }

    @Test("offering only other subprotocols is refused with a body naming ticker.v1")
    func wrongSubprotocol() async throws {
        try await TestServer.with { server, _ in
            do {
                _ = try await server.connect(protocols: ["chat.v9"])
                Issue.record("the handshake was accepted")
            } catch WebSocketConnectError.refused(let status, _, let body, _) {
                #expect(status != 101 && status == 400)
                #expect(body.contains(#""supportedProtocols":["ticker.v1"]"#))
            }
            // The server is still up for everyone else.
            _ = try await server.connect()
        }
    }

    @Test("subscribe: subscribed, snapshot, then quotes of the subscribed symbols only, seq increasing")
    func subscribeFlow() async throws {
        try await TestServer.with { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.send(.subscribe(symbols: ["AAPL", "MSFT"]))
            #expect(try await socket.next() == .subscribed(symbols: ["AAPL", "MSFT"]))
            guard case .snapshot(let snapshotSeq, let ts, let quotes, _, _) = try await socket.next() else {
                throw TestFailure("expected a snapshot")
            }
            #expect(quotes.map(\.symbol) == ["AAPL", "MSFT"])
            #expect(ts > 1_700_000_000_000_000)
            var lastSeq = snapshotSeq
            for _ in 0..<10 {
                let text = try await socket.nextText()
                #expect(text.hasPrefix(#"{"type":"quotes","seq":"#))
                guard case .quotes(let seq, _, let quotes, let conflated, _) = try ServerMessage.decode(Data(text.utf8)) else {
                    throw TestFailure("expected quotes: \(text)")
                }
                #expect(seq > lastSeq)
                #expect(!quotes.isEmpty && Set(quotes.map(\.symbol)).isSubset(of: ["AAPL", "MSFT"]))
                #expect(conflated == nil)
                lastSeq = seq
            }
        }
    }

    @Test("unknown symbols get an error listing them while the valid ones still take effect")
    func unknownSymbols() async throws {
        try await TestServer.with { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.send(.subscribe(symbols: ["AAPL", "NOPE", "ZZZ"]))
            #expect(try await socket.next() == .subscribed(symbols: ["AAPL"]))
            guard case .snapshot = try await socket.next() else { throw TestFailure("expected a snapshot") }
            guard case .error(.unknownSymbol, _, let symbols) = try await socket.next(where: { !$0.isQuotes }) else {
                throw TestFailure("expected unknown_symbol")
            }
            #expect(symbols == ["NOPE", "ZZZ"])
        }
    }

    @Test("wildcard subscribe, then unsubscribe: the set shrinks and removed symbols stop arriving")
    func unsubscribe() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.send(.subscribe(symbols: ["*"]))
            guard case .subscribed(let all) = try await socket.next() else { throw TestFailure("expected subscribed") }
            #expect(all.count >= 50)
            socket.send(.unsubscribe(symbols: ["AAPL"]))
            guard case .subscribed(let rest) = try await socket.next(where: { if case .subscribed = $0 { true } else { false } }) else {
                throw TestFailure("expected subscribed")
            }
            #expect(rest.count == all.count - 1 && !rest.contains("AAPL"))
            for _ in 0..<5 {
                guard case .quotes(_, _, let quotes, _, _) = try await socket.next() else { throw TestFailure("expected quotes") }
                #expect(!quotes.contains { $0.symbol == "AAPL" })
            }
            socket.send(.unsubscribe(symbols: ["*"]))
            #expect(try await socket.next(where: { if case .subscribed = $0 { true } else { false } }) == .subscribed(symbols: []))
        }
    }

    @Test(
        "bad messages get a specific error and the connection stays open",
        arguments: [
            ("{oops", ErrorCode.badMessage), (#"{"type":"subscribe","symbols":[1,2]}"#, .badMessage), (#"["subscribe"]"#, .badMessage),
            (#"{"type":"teleport"}"#, .unknownType),
        ])
    func badMessages(text: String, code: ErrorCode) async throws {
        try await TestServer.with { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.connection.send(text)
            guard case .error(let received, let message, _) = try await socket.next() else { throw TestFailure("expected an error") }
            #expect(received == code)
            #expect(!message.isEmpty)
            socket.send(.ping(id: .number(7)))
            guard case .pong(.number(7), _) = try await socket.next() else { throw TestFailure("expected the pong") }
        }
    }

    @Test("ping is answered by a pong with the same id")
    func pingPong() async throws {
        try await TestServer.with { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.send(.ping(id: .string("abc")))
            let text = try await socket.nextText()
            #expect(text.hasPrefix(#"{"type":"pong","id":"abc","ts":"#))
        }
    }

    @Test("a client sent nothing for the heartbeat interval gets a heartbeat, neither early nor much later")
    func heartbeat() async throws {
        try await TestServer.with({ $0.heartbeatInterval = .milliseconds(300) }) { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            guard case .heartbeat(let seq, let first) = try await socket.next() else { throw TestFailure("expected a heartbeat") }
            #expect(seq > 0, "it says where the feed is")
            // Timed by the server's own clock (the heartbeats' ts), which a busy test process cannot skew.
            guard case .heartbeat(_, let second) = try await socket.next() else { throw TestFailure("expected a second heartbeat") }
            let interval = Duration.microseconds(second - first)
            #expect(interval >= .milliseconds(250) && interval < .seconds(2), "every 300 ms of silence, not much later: \(interval)")
        }
    }

    @Test("seq is the feed's, shared by every client: two clients get byte-identical frames for the same seq and subscription")
    func sharedSeq() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let first = try await server.connect()
            let second = try await server.connect()
            var snapshots: [UInt64] = []
            for socket in [first, second] {
                _ = try await socket.next()
                socket.send(.subscribe(symbols: ["AAPL", "MSFT"]))
                guard case .snapshot(let seq, _, _, _, _) = try await socket.next(where: { if case .snapshot = $0 { true } else { false } })
                else { throw TestFailure("no snapshot") }
                snapshots.append(seq)
            }
            // Both clients from the later snapshot on, 15 ticks each.
            let target = snapshots.max()! + 15
            var frames: [[UInt64: String]] = [[:], [:]]
            for (index, socket) in [first, second].enumerated() {
                var seq: UInt64 = 0
                while seq < target {
                    let text = try await socket.nextText()
                    guard case .quotes(let received, _, _, _, _) = try ServerMessage.decode(Data(text.utf8)) else { continue }
                    seq = received
                    frames[index][seq] = text
                }
            }
            let common = Set(frames[0].keys).intersection(frames[1].keys)
            #expect(common.count >= 15, "every seq after both snapshots reached both clients")
            for seq in common { #expect(frames[0][seq] == frames[1][seq], "seq \(seq) differs between the clients") }
        }
    }

    @Test("subscribed lists the whole set in catalog order, whatever the request's order")
    func catalogOrder() async throws {
        try await TestServer.with({ $0.activity = 0 }) { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.send(.subscribe(symbols: ["NVDA", "aapl", "MSFT"]))
            #expect(try await socket.next() == .subscribed(symbols: ["AAPL", "MSFT", "NVDA"]))
            guard case .snapshot(_, _, let quotes, _, _) = try await socket.next() else { throw TestFailure("no snapshot") }
            #expect(quotes.map(\.symbol) == ["AAPL", "MSFT", "NVDA"])
            socket.send(.subscribe(symbols: ["AMZN"]))
            #expect(try await socket.next() == .subscribed(symbols: ["AAPL", "MSFT", "AMZN", "NVDA"]), "the whole set, not the change")
        }
    }

    @Test("quotes carry exactly the subscribed symbols that changed in the tick, checked against the seeded feed")
    func onlyWhatChanged() async throws {
        try await TestServer.with({
            $0.activity = 0.3
            $0.seed = 11
        }) { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            let watched = ["AAPL", "MSFT", "NVDA", "AMZN", "TSLA"]
            socket.send(.subscribe(symbols: watched))
            guard case .snapshot(let start, _, _, _, _) = try await socket.next(where: { if case .snapshot = $0 { true } else { false } })
            else { throw TestFailure("no snapshot") }
            var frames: [(seq: UInt64, quotes: [Quote])] = []
            while frames.count < 20 {
                guard case .quotes(let seq, _, let quotes, nil, _) = try await socket.next(where: \.isQuotes) else {
                    throw TestFailure("a conflated frame on a quiet connection")
                }
                frames.append((seq, quotes))
            }
            // The same seeded simulator, stepped to each seq, says what changed in that tick.
            let last = frames.last!.seq
            let changed = try await offThePool {
                var simulator = PriceSimulator(
                    catalog: try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: nil), seed: 11, activity: 0.3)
                var changed: [UInt64: [Quote]] = [:]
                while simulator.seq < last {
                    let tick = simulator.step(timestamp: 0)
                    changed[tick.seq] = tick.quotes.filter { watched.contains($0.symbol) }
                }
                return changed
            }
            var lastSeq = start
            for (seq, quotes) in frames {
                // Ticks in between changed none of the watched symbols: nothing was sent for them.
                for skipped in (lastSeq + 1)..<seq { #expect(changed[skipped]?.isEmpty == true, "seq \(skipped) changed a watched symbol") }
                #expect(quotes == changed[seq], "seq \(seq): exactly what changed, in catalog order")
                lastSeq = seq
            }
        }
    }

    @Test("nothing changes, nothing is sent: with activity 0 a subscriber gets its snapshot, then only heartbeats")
    func nothingWhenNothingChanged() async throws {
        try await TestServer.with({
            $0.activity = 0
            $0.heartbeatInterval = .milliseconds(300)
        }) { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.send(.subscribe(symbols: ["*"]))
            _ = try await socket.next(where: \.isSubscribed)  // heartbeats may come before it on a slow machine
            guard case .snapshot = try await socket.next() else { throw TestFailure("no snapshot right after subscribed") }
            for _ in 0..<3 {
                let message = try await socket.next()
                guard case .heartbeat = message else { throw TestFailure("expected only heartbeats, got \(message)") }
            }
        }
    }

    @Test("a binary frame closes the connection with 1003")
    func binaryFrame() async throws {
        try await TestServer.with { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            socket.connection.send(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: [1, 2, 3])))
            let close = await socket.closing()
            #expect(close.code == 1003)
            #expect(close.reason.contains("binary"))
        }
    }

    @Test("a message over 64 KiB closes the connection with 1009; 64 KiB exactly is fine")
    func oversizedMessage() async throws {
        try await TestServer.with { server, _ in
            let fits = try await server.connect()
            _ = try await fits.next()
            let padding = String(repeating: " ", count: 64 * 1024 - #"{"type":"ping","id":1}"#.utf8.count)
            fits.connection.send(#"{"type":"ping","id":1}"# + padding)
            guard case .pong = try await fits.next() else { throw TestFailure("a 64 KiB message was refused") }

            let tooBig = try await server.connect()
            _ = try await tooBig.next()
            tooBig.connection.send(#"{"type":"ping","id":1}"# + padding + " ")
            #expect(await tooBig.closing().code == 1009)
            // Others are unaffected.
            fits.send(.ping(id: .number(2)))
            guard case .pong = try await fits.next(where: { if case .pong = $0 { true } else { false } }) else {
                throw TestFailure("the other client stopped")
            }
        }
    }

    @Test("too many messages per second: rate_limited, then close 1008")
    func rateLimit() async throws {
        try await TestServer.with({ $0.messagesPerSecond = 5 }) { server, _ in
            let socket = try await server.connect()
            _ = try await socket.next()
            for id in 0..<20 { socket.send(.ping(id: .number(Int64(id)))) }
            guard case .error(.rateLimited, _, _) = try await socket.next(where: { if case .pong = $0 { false } else { true } }) else {
                throw TestFailure("expected rate_limited")
            }
            let close = await socket.closing()
            #expect(close.code == 1008)
        }
    }
}
