import CompressNIO
import NIOCore
import NIOWebSocket
import Testing
import TickerClient
import TickerCompression

/// The project's WebSocket client (behind `ticker watch`, `ticker compare` and the feed client) against a server that
/// compresses, or breaks the rules of compressing: what it accepts, inflates and fails.
@Suite("The client's permessage-deflate against a scripted server", .timeLimit(.minutes(1)))
struct ClientCompressionTests {
    static let agreed = ("Sec-WebSocket-Extensions", "permessage-deflate; server_no_context_takeover; client_no_context_takeover")

    static func text(_ payload: [UInt8], rsv1: Bool = false, rsv2: Bool = false, opcode: WebSocketOpcode = .text, fin: Bool = true)
        -> WebSocketFrame
    {
        WebSocketFrame(fin: fin, rsv1: rsv1, rsv2: rsv2, opcode: opcode, data: ByteBuffer(bytes: payload))
    }

    /// Every event of a connection, up to and including `.closed` (bounded by the suite's time limit).
    static func events(of connection: WebSocketConnection) async -> [WebSocketEvent] {
        var all: [WebSocketEvent] = []
        for await event in connection.events {
            all.append(event)
            if case .closed = event { break }
        }
        return all
    }

    @Test("compressed messages are inflated; their wire size is what came compressed")
    func inflates() async throws {
        let message = String(repeating: #"{"symbol":"AAPL","price":189.23},"#, count: 40)
        let compressed = try MessageDeflater().compress(Array(message.utf8))
        let frames = [Self.text(compressed, rsv1: true), Self.text(Array("plain".utf8))]
        try await ScriptedFrameServer.with(responseHeaders: [Self.agreed], frames: frames) { url in
            let connection = try await WebSocketConnection.connect(to: try WebSocketURL(url))
            #expect(connection.negotiatedExtensions == Self.agreed.1)
            var events = connection.events.makeAsyncIterator()
            #expect(await events.next() == .text(message, wireBytes: compressed.count))
            #expect(await events.next() == .text("plain", wireBytes: 5), "an uncompressed message beside it is fine")
            #expect(connection.received == (wire: compressed.count + 5, messages: message.utf8.count + 5))
            connection.close()
        }
    }

    @Test("a server that keeps its compression context: the client keeps its inflater's window from message to message")
    func contextTakeover() async throws {
        // Two messages from one compressor that is never reset: the second refers back into the first.
        let compressor = try ZlibCompressor(algorithm: .deflate)
        func compress(_ text: String) throws -> [UInt8] {
            var input = ByteBuffer(string: text)
            var output = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input))
            try compressor.deflate(from: &input, to: &output, flush: .sync)
            return Array(output.readableBytesView.dropLast(4))
        }
        var state: UInt32 = 7
        let first = String(
            (0..<600).map { _ in
                state = state &* 1_103_515_245 &+ 12345
                return Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8((state >> 16) % 26)))
            })
        let (one, two) = (try compress(first), try compress(first))
        #expect(two.count < one.count / 4, "the second message is mostly a reference to the first")
        let frames = [Self.text(one, rsv1: true), Self.text(two, rsv1: true)]
        try await ScriptedFrameServer.with(responseHeaders: [("Sec-WebSocket-Extensions", "permessage-deflate")], frames: frames) { url in
            let connection = try await WebSocketConnection.connect(to: try WebSocketURL(url))
            var events = connection.events.makeAsyncIterator()
            #expect(await events.next() == .text(first, wireBytes: one.count))
            #expect(await events.next() == .text(first, wireBytes: two.count))
            connection.close()
        }
    }

    /// What a broken server sends, and the close code the client fails the connection with.
    static let violations: [(String, [(String, String)], [WebSocketFrame], Int)] = [
        ("RSV1 without the extension agreed", [], [text(Array("{}".utf8), rsv1: true)], 1002),
        ("RSV1 on a continuation", [agreed], [text(Array("{".utf8), fin: false), text(Array("}".utf8), rsv1: true, opcode: .continuation)], 1002),
        ("RSV1 on a ping", [agreed], [text([], rsv1: true, opcode: .ping)], 1002),
        ("RSV2 on text", [agreed], [text(Array("{}".utf8), rsv2: true)], 1002),
        ("a compressed message that is not DEFLATE data", [agreed], [text([0xFF, 0xFF, 0xFF, 0xFF], rsv1: true)], 1007),
    ]

    @Test("a frame that breaks RFC 6455 or RFC 7692 fails the connection with the code the RFCs give", arguments: violations)
    func violation(name: String, headers: [(String, String)], frames: [WebSocketFrame], code: Int) async throws {
        try await ScriptedFrameServer.with(responseHeaders: headers, frames: frames) { url in
            let connection = try await WebSocketConnection.connect(to: try WebSocketURL(url))
            let events = await Self.events(of: connection)
            guard case .closed(let closedWith, let reason) = events.last else { throw TestFailure("\(name): no close in \(events)") }
            #expect(closedWith == code, "\(name): \(reason)")
            #expect(!events.contains { if case .text = $0 { true } else { false } }, "\(name): nothing delivered")
        }
    }

    @Test("a compressed message that would inflate past the client's limit fails with 1009, inflated no further")
    func bomb() async throws {
        let bomb = try MessageDeflater().compress([UInt8](repeating: 0x20, count: 8 << 20))
        try await ScriptedFrameServer.with(responseHeaders: [Self.agreed], frames: [Self.text(bomb, rsv1: true)]) { url in
            let connection = try await WebSocketConnection.connect(to: try WebSocketURL(url), maxFrameSize: 1 << 16)
            guard case .closed(let code, _) = await Self.events(of: connection).last else { throw TestFailure("no close") }
            #expect(code == 1009)
        }
    }

    @Test("a 101 agreeing to an extension the client did not offer fails the connection, naming it")
    func unofferedExtension() async throws {
        for (offer, answer) in [(true, "x-mystery-extension"), (false, "permessage-deflate")] {
            try await ScriptedFrameServer.with(responseHeaders: [("Sec-WebSocket-Extensions", answer)], frames: []) { url in
                let error = await #expect(throws: (any Error).self) {
                    _ = try await WebSocketConnection.connect(to: try WebSocketURL(url), compression: offer)
                }
                let text = error.map { "\($0)" } ?? ""
                #expect(text.contains(offer ? answer : "did not offer"), "\(text)")
            }
        }
    }
}
