import Foundation
import Testing
import TickerCore
import TickerServer

/// What a broken or hostile peer sends, byte for byte, and the answer RFC 6455 requires, after the Autobahn
/// testsuite's categories: framing and reserved bits, opcodes, fragmentation, UTF-8, close handling, limits. After each
/// one the server still serves a well-behaved client.
@Suite("RFC 6455 against a raw socket", .serialized, .timeLimit(.minutes(2)))
struct RFC6455Tests {
    /// Opens a raw connection, completes the handshake and reads the welcome.
    private static func open(_ server: TestServer) async throws -> RawPeer {
        let peer = try await RawPeer(port: server.port)
        let answer = try await peer.handshake()
        guard answer.status == 101 else { throw TestFailure("handshake answered \(answer.status): \(answer.body)") }
        try await peer.expectWelcome()
        return peer
    }

    /// A well-behaved client still gets its pong: the server is up for everyone else.
    private static func expectServing(_ server: TestServer) async throws {
        let socket = try await server.connect()
        _ = try await socket.next()
        socket.send(.ping(id: .number(1)))
        guard case .pong = try await socket.next() else { throw TestFailure("a healthy client got no pong") }
    }

    private static let subscribe = Array(#"{"type":"subscribe","symbols":["AAPL"]}"#.utf8)
    private static let ping = Array(#"{"type":"ping","id":9}"#.utf8)

    @Test("an unmasked client frame fails the connection with 1002 and is not acted on")
    func unmasked() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await Self.open(server)
            try await peer.sendFrame(opcode: 0x1, Self.subscribe, masked: false)
            let frame = try await peer.readFrame()
            #expect(frame.opcode == 0x8, "the first frame back is the close, not subscribed: \(frame.text)")
            #expect(frame.payload.prefix(2) == [0x03, 0xEA])  // 1002
            #expect(await peer.waitForEnd())
            try await Self.expectServing(server)
        }
    }

    /// Frames that break a framing rule, each named.
    static let protocolViolations: [(String, [UInt8])] = {
        var cases: [(String, [UInt8])] = [
            ("RSV1 on text", RawPeer.frame(opcode: 0x1, Array("{}".utf8), rsv: 0b100)),
            ("RSV2 on text", RawPeer.frame(opcode: 0x1, Array("{}".utf8), rsv: 0b010)),
            ("RSV3 on ping", RawPeer.frame(opcode: 0x9, [], rsv: 0b001)),
            ("opcode 3", RawPeer.frame(opcode: 0x3, [])),
            ("opcode 7", RawPeer.frame(opcode: 0x7, [1])),
            ("opcode 0xB", RawPeer.frame(opcode: 0xB, [])),
            ("opcode 0xF", RawPeer.frame(opcode: 0xF, [1, 2])),
            ("ping of 126 bytes", RawPeer.frame(opcode: 0x9, [UInt8](repeating: 0x61, count: 126))),
            ("fragmented ping", RawPeer.frame(opcode: 0x9, [1], fin: false)),
            ("continuation with nothing to continue", RawPeer.frame(opcode: 0x0, Array("{}".utf8))),
            ("close with a 1-byte payload", RawPeer.frame(opcode: 0x8, [0x03])),
        ]
        let unfinished = RawPeer.frame(opcode: 0x1, Array("{".utf8), fin: false)
        cases.append(("a new message inside a fragmented one", unfinished + RawPeer.frame(opcode: 0x1, Array("{}".utf8))))
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535] {
            cases.append(("close code \(code)", RawPeer.frame(opcode: 0x8, [UInt8(code >> 8), UInt8(code & 0xFF)])))
        }
        return cases
    }()

    @Test("reserved bits, reserved opcodes and bad control frames fail the connection with 1002", arguments: protocolViolations)
    func protocolErrors(_ what: String, _ bytes: [UInt8]) async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await Self.open(server)
            try await peer.send(bytes)
            let close = try await peer.readClose()
            #expect(close.code == 1002, "\(what): \(close.reason)")
            #expect(await peer.waitForEnd(), "\(what): the connection ends")
            try await Self.expectServing(server)
        }
    }

    /// Text (or a close reason) that is not UTF-8, as the frames that carry it.
    static let invalidUTF8Cases: [(String, [[UInt8]])] = [
        ("a lone continuation byte", [RawPeer.frame(opcode: 0x1, [0x7B, 0x80, 0x7D])]),
        ("an overlong encoding of /", [RawPeer.frame(opcode: 0x1, [0xC0, 0xAF])]),
        ("a UTF-16 surrogate", [RawPeer.frame(opcode: 0x1, [0xED, 0xA0, 0x80])]),
        ("a code point above U+10FFFF", [RawPeer.frame(opcode: 0x1, [0xF4, 0x90, 0x80, 0x80])]),
        ("a message ending inside a sequence", [RawPeer.frame(opcode: 0x1, [0x22, 0xE2, 0x82])]),
        ("bad bytes in a later fragment", [RawPeer.frame(opcode: 0x1, [0x22, 0xCE], fin: false), RawPeer.frame(opcode: 0x0, [0xBA, 0xFF, 0x22])]),
        ("a close reason", [RawPeer.frame(opcode: 0x8, [0x03, 0xE8, 0xFF, 0xFE])]),
    ]

    @Test("invalid UTF-8 in a text message or a close reason fails the connection with 1007", arguments: invalidUTF8Cases)
    func invalidUTF8(_ what: String, _ frames: [[UInt8]]) async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await Self.open(server)
            for frame in frames { try await peer.send(frame) }
            let close = try await peer.readClose()
            #expect(close.code == 1007, "\(what): \(close.reason)")
            #expect(await peer.waitForEnd())
            try await Self.expectServing(server)
        }
    }

    @Test("invalid UTF-8 fails fast: at the bad fragment, before the message's last frame")
    func utf8FailsFast() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await Self.open(server)
            try await peer.sendFrame(opcode: 0x1, Array(#"{"type":"ping","id":"#.utf8), fin: false)
            try await peer.sendFrame(opcode: 0x0, [0xF8, 0x88], fin: false)  // never valid; the message is not finished
            #expect(try await peer.readClose().code == 1007)
        }
    }

    @Test("a message is reassembled across fragments, with a character split between them and a ping in between")
    func fragmentation() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await Self.open(server)
            let text = Array(#"{"type":"ping","id":"é€𝄞"}"#.utf8)
            let split = text.firstIndex(of: 0xE2)! + 1  // inside the three bytes of €
            try await peer.sendFrame(opcode: 0x1, Array(text[..<split]), fin: false)
            try await peer.sendFrame(opcode: 0x9, Array("hello".utf8))  // a control frame between fragments
            try await peer.sendFrame(opcode: 0x0, Array(text[split..<(split + 3)]), fin: false)
            try await peer.sendFrame(opcode: 0x0, Array(text[(split + 3)...]), fin: true)
            let pong = try await peer.readFrame()
            #expect(pong.opcode == 0xA && pong.text == "hello", "the ping is answered with its payload")
            let answer = try await peer.readFrame()
            #expect(answer.opcode == 0x1 && answer.text.hasPrefix(#"{"type":"pong","id":"é€𝄞","#), "\(answer.text)")
        }
    }

    @Test("a message over --max-message-bytes is 1009 whether it came in one frame or in many fragments")
    func messageTooBig() async throws {
        try await TestServer.with({
            TestServer.quiet(&$0)
            $0.maxMessageBytes = 1000
        }) { server, _ in
            let single = try await Self.open(server)
            try await single.sendFrame(opcode: 0x1, [UInt8](repeating: 0x20, count: 1001))
            #expect(try await single.readClose().code == 1009)

            let many = try await Self.open(server)
            try await many.sendFrame(opcode: 0x1, [UInt8](repeating: 0x20, count: 300), fin: false)
            for _ in 0..<3 { try await many.sendFrame(opcode: 0x0, [UInt8](repeating: 0x20, count: 300), fin: false) }
            #expect(try await many.readClose().code == 1009)

            // Exactly the limit, in fragments, is a message.
            let fits = try await Self.open(server)
            let message = Self.ping + [UInt8](repeating: 0x20, count: 1000 - Self.ping.count)
            try await fits.sendFrame(opcode: 0x1, Array(message[..<500]), fin: false)
            try await fits.sendFrame(opcode: 0x0, Array(message[500...]))
            #expect(try await fits.readFrame().text.hasPrefix(#"{"type":"pong","id":9"#))
            try await Self.expectServing(server)
        }
    }

    @Test("frames with 16- and 64-bit lengths are read; a frame claiming more than the limit is refused before it arrives")
    func lengths() async throws {
        try await TestServer.with({
            TestServer.quiet(&$0)
            $0.maxMessageBytes = 100_000
        }) { server, _ in
            let peer = try await Self.open(server)
            for size in [125, 126, 65535, 65536, 70_000] {
                try await peer.sendFrame(opcode: 0x1, Self.ping + [UInt8](repeating: 0x20, count: size - Self.ping.count))
                #expect(try await peer.readFrame().text.hasPrefix(#"{"type":"pong""#), "\(size) bytes")
            }
            // A header announcing 2^62 bytes: the server does not wait for (or buffer) them.
            try await peer.send([0x81, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])
            #expect(try await peer.readClose().code == 1009)
            #expect(await peer.waitForEnd())
        }
    }

    @Test("a close gets a close back with the same code, then the server ends the TCP connection", arguments: [1000, 1001, 1003, 1011, 3000, 4999])
    func closeEcho(code: Int) async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await Self.open(server)
            try await peer.sendFrame(opcode: 0x8, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array("bye".utf8))
            let close = try await peer.readClose()
            #expect(close.code.map(Int.init) == code)
            #expect(await peer.waitForEnd(), "the server closes the TCP connection after its close frame")
        }
    }

    @Test("an empty close frame gets an empty close frame back; data after the close is ignored")
    func emptyClose() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await Self.open(server)
            try await peer.send(RawPeer.frame(opcode: 0x8, []) + RawPeer.frame(opcode: 0x1, Self.subscribe))
            let frame = try await peer.readFrame()
            #expect(frame.opcode == 0x8 && frame.payload.isEmpty)
            #expect(await peer.waitForEnd())
            #expect(peer.pending.isEmpty, "nothing after the close frame (the subscribe was not acted on)")
        }
    }

    @Test("a ping is answered with a pong carrying the same payload; an unsolicited pong is ignored")
    func pingPong() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let peer = try await Self.open(server)
            try await peer.sendFrame(opcode: 0xA, Array("unsolicited".utf8))
            let payload = [UInt8](repeating: 0x5A, count: 125)
            try await peer.sendFrame(opcode: 0x9, payload)
            let pong = try await peer.readFrame()
            #expect(pong.opcode == 0xA && pong.payload == payload && pong.fin && !pong.masked)
            try await peer.sendFrame(opcode: 0x9, [])
            #expect(try await peer.readFrame().opcode == 0xA)
        }
    }

    @Test("server frames are unmasked, final, with RSV bits clear; text is valid UTF-8")
    func serverFrames() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let peer = try await Self.open(server)
            try await peer.sendFrame(opcode: 0x1, Self.subscribe)
            for _ in 0..<5 {
                let frame = try await peer.readFrame()
                #expect(frame.fin && frame.rsv == 0 && !frame.masked && frame.opcode == 0x1)
                var utf8 = UTF8Validator()
                let valid = utf8.validate(frame.payload)
                #expect(valid && utf8.isAtBoundary)
            }
        }
    }
}
