import Foundation
import Testing
import TickerClient
import TickerCompression
import TickerCore
import TickerServer

/// `permessage-deflate` on `/ws` against raw sockets: what is agreed, what goes on the wire, and what a hostile client's
/// compressed messages cost.
@Suite("permessage-deflate (RFC 7692) on the wire", .timeLimit(.minutes(2)))
struct CompressionTests {
    static let agreed = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    static let subscribeAll = Array(#"{"type":"subscribe","symbols":["*"]}"#.utf8)

    /// A raw connection that offered `offer` (nil: no extension header), with its welcome read.
    private static func open(_ server: TestServer, offer: String?) async throws -> (RawPeer, HTTPAnswer) {
        let peer = try await RawPeer(port: server.port)
        let answer = try await peer.handshake(extra: offer.map { ["Sec-WebSocket-Extensions: \($0)"] } ?? [])
        guard answer.status == 101 else { throw TestFailure("handshake answered \(answer.status): \(answer.body)") }
        return (peer, answer)
    }

    /// A server frame's message: inflated when RSV1 is set.
    private static func message(_ frame: ServerFrame) throws -> [UInt8] {
        guard frame.rsv & 0b100 != 0 else { return frame.payload }
        return try MessageInflater().inflate(frame.payload, limit: 1 << 24)
    }

    /// Reads frames until a `quotes` message; returns the frame and its seq.
    private static func nextQuotes(_ peer: RawPeer) async throws -> (frame: ServerFrame, seq: UInt64) {
        for _ in 0..<200 {
            let frame = try await peer.readFrame()
            guard frame.opcode == 0x1 else { continue }
            if case .quotes(let seq, _, _, _, _) = try ServerMessage.decode(Data(try message(frame))) {
                return (frame, seq)
            }
        }
        throw TestFailure("no quotes message in 200 frames")
    }

    /// Reads `quotes` frames from each peer until they share a seq; returns each one's frame of that seq.
    private static func commonTick(_ peers: [RawPeer]) async throws -> (seq: UInt64, frames: [ServerFrame]) {
        var seen = [[UInt64: ServerFrame]](repeating: [:], count: peers.count)
        for _ in 0..<100 {
            for (index, peer) in peers.enumerated() {
                let (frame, seq) = try await nextQuotes(peer)
                seen[index][seq] = frame
            }
            let common = seen.dropFirst().reduce(Set(seen[0].keys)) { $0.intersection($1.keys) }
            if let seq = common.min() { return (seq, seen.map { $0[seq]! }) }
        }
        throw TestFailure("the connections shared no tick in 100 frames each")
    }

    static let offers: [(String?, String?)] = [
        (nil, nil),
        ("permessage-deflate", agreed),
        ("permessage-deflate; client_max_window_bits", agreed),
        ("permessage-deflate; server_max_window_bits=10", agreed + "; server_max_window_bits=10"),
        ("permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits", agreed),
        ("permessage-deflate; server_max_window_bits=8", nil),
        ("permessage-deflate; mystery=1", nil),
        ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", nil),
        ("x-webkit-deflate-frame", nil),
    ]

    @Test(
        "the 101 answers the first acceptable offer (adjusted to the server's terms) or none, and the frames follow it",
        arguments: offers)
    func negotiation(offer: String?, answer expected: String?) async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let (peer, answer) = try await Self.open(server, offer: offer)
            #expect(answer.header("Sec-WebSocket-Extensions") == expected)
            // A plain client beside it: what each tick's frame is before compression.
            let (plain, _) = try await Self.open(server, offer: nil)
            for client in [peer, plain] { try await client.sendFrame(opcode: 0x1, Self.subscribeAll) }
            let (seq, frames) = try await Self.commonTick([peer, plain])
            #expect(frames[0].rsv == (expected == nil ? 0 : 0b100), "RSV1 exactly when the extension was agreed (tick \(seq))")
            guard let expected else { return #expect(frames[0].payload == frames[1].payload) }
            // The window the client allowed is the one used: compressing is deterministic, so the frame is exactly the
            // plain one compressed with that window (and differs from what the full window gives).
            let windowBits = expected.contains("server_max_window_bits=10") ? 10 : 15
            #expect(frames[0].payload == (try MessageDeflater(windowBits: windowBits).compress(frames[1].payload)))
            if windowBits < 15 { #expect(frames[0].payload != (try MessageDeflater().compress(frames[1].payload))) }
        }
    }

    @Test("with --compression off an offer is declined and every frame is plain (the binary, with the flag)")
    func switchedOff() async throws {
        let server = try await BinaryServer.start(["--compression", "off", "--activity", "1", "--log-level", "error"])
        defer { server.process.kill() }
        let peer = try await RawPeer(port: server.port)
        let answer = try await peer.handshake(extra: ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"])
        #expect(answer.status == 101 && answer.header("Sec-WebSocket-Extensions") == nil)
        try await peer.sendFrame(opcode: 0x1, Self.subscribeAll)
        #expect(try await Self.nextQuotes(peer).frame.rsv == 0)
    }

    @Test("two compressing clients on the same subscription receive byte-identical compressed frames")
    func sharedCompressedFrames() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let (first, _) = try await Self.open(server, offer: "permessage-deflate")
            let (second, _) = try await Self.open(server, offer: "permessage-deflate; client_max_window_bits")
            for peer in [first, second] { try await peer.sendFrame(opcode: 0x1, Self.subscribeAll) }
            let (seq, frames) = try await Self.commonTick([first, second])
            #expect(frames[0].rsv == 0b100 && frames[0].fin && frames[0].opcode == 0x1, "tick \(seq) came compressed")
            #expect(frames[0].payload == frames[1].payload, "tick \(seq): the same compressed bytes for both")
        }
    }

    @Test("one compression per tick serves every compressing client on a subscription, not one per client")
    func oneCompressionPerTick() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            var sockets: [TestSocket] = []
            for _ in 0..<20 {
                let socket = try await server.connect()
                socket.send(.subscribe(symbols: ["*"]))
                sockets.append(socket)
            }
            for socket in sockets { _ = try await socket.next(where: \.isQuotes) }
            #expect(sockets.allSatisfy { $0.connection.negotiatedExtensions?.hasPrefix("permessage-deflate") == true })
            func counts() async throws -> (ticks: Double, compressions: Double, compressedFrames: Double) {
                let samples = MetricsTests.samples(try await server.get("/metrics").body)
                return (
                    samples["ticker_feed_ticks_total"] ?? 0, samples["ticker_ws_compressions_total"] ?? 0,
                    samples["ticker_ws_compressed_frames_total"] ?? 0
                )
            }
            let before = try await counts()
            var after = before
            try await eventually("20 more ticks") {
                after = try await counts()
                return after.ticks >= before.ticks + 20
            }
            let compressions = after.compressions - before.compressions
            let frames = after.compressedFrames - before.compressedFrames
            // Each tick's frame is compressed once (a tick may straddle a scrape), and written compressed to all 20.
            #expect(compressions <= after.ticks - before.ticks + 2, "\(compressions) compressions in \(after.ticks - before.ticks) ticks")
            #expect(frames >= 15 * compressions, "\(frames) compressed frames from \(compressions) compressions")
        }
    }

    @Test("a compressed frame inflates to exactly the plain frame another client receives, at a fraction of its size")
    func inflatesToThePlainFrame() async throws {
        try await TestServer.with({ $0.activity = 1 }) { server, _ in
            let (compressing, _) = try await Self.open(server, offer: "permessage-deflate")
            let (plain, _) = try await Self.open(server, offer: nil)
            for peer in [compressing, plain] { try await peer.sendFrame(opcode: 0x1, Self.subscribeAll) }
            let (seq, frames) = try await Self.commonTick([compressing, plain])
            #expect(frames[0].rsv == 0b100 && frames[1].rsv == 0)
            #expect(try Self.message(frames[0]) == frames[1].payload, "tick \(seq)")
            #expect(frames[0].payload.count * 3 < frames[1].payload.count, "\(frames[0].payload.count) B for \(frames[1].payload.count) B")
        }
    }

    @Test("a compressing client's compressed messages are inflated and answered; RSV1 where RFC 7692 forbids it is 1002")
    func clientMessages() async throws {
        try await TestServer.with(TestServer.quiet) { server, _ in
            let (peer, _) = try await Self.open(server, offer: "permessage-deflate")
            let subscribe = Array(#"{"type":"subscribe","symbols":["AAPL","MSFT"]}"#.utf8)
            try await peer.sendFrame(opcode: 0x1, try MessageDeflater().compress(subscribe), rsv: 0b100)
            var answered = false
            for _ in 0..<10 where !answered {
                let text = String(decoding: try Self.message(try await peer.readFrame()), as: UTF8.self)
                answered = text.contains(#""type":"subscribed""#) && text.contains("MSFT")
            }
            #expect(answered, "the compressed subscribe was understood")

            // RSV1 belongs on a message's first frame only, never on a continuation or a control frame.
            let violations: [(String, [UInt8])] = [
                (
                    "RSV1 on a continuation",
                    RawPeer.frame(opcode: 0x1, Array("{".utf8), fin: false) + RawPeer.frame(opcode: 0x0, Array("}".utf8), rsv: 0b100)
                ),
                ("RSV1 on a ping", RawPeer.frame(opcode: 0x9, [], rsv: 0b100)),
                ("RSV2 with the extension agreed", RawPeer.frame(opcode: 0x1, Array("{}".utf8), rsv: 0b010)),
            ]
            for (name, bytes) in violations {
                let (hostile, _) = try await Self.open(server, offer: "permessage-deflate")
                try await hostile.send(bytes)
                #expect(try await hostile.readClose().code == 1002, "\(name)")
            }
            let (garbage, _) = try await Self.open(server, offer: "permessage-deflate")
            try await garbage.sendFrame(opcode: 0x1, [0xFF, 0xFF, 0xFF, 0xFF], rsv: 0b100)
            #expect(try await garbage.readClose().code == 1007, "a compressed message that is not DEFLATE data")
        }
    }

    /// `--max-message-bytes` of zeros and far more: 1 MiB of zeros compressed, repeated (each piece ends on a sync
    /// flush, so the pieces chain into one DEFLATE stream that inflates to `pieces` MiB).
    private static func bomb(pieces: Int) throws -> [UInt8] {
        let piece = try MessageDeflater().compress([UInt8](repeating: 0, count: 1 << 20)) + [0x00, 0x00, 0xFF, 0xFF]
        return Array(Array(repeating: piece, count: pieces).joined().dropLast(4))
    }

    @Test("a compressed message that inflates past --max-message-bytes closes with 1009 without being inflated whole")
    func zipBomb() async throws {
        // The binary on its own: its peak resident memory is the server's alone.
        let server = try await BinaryServer.start(["--max-message-bytes", "\(1 << 20)", "--log-level", "error"])
        defer { server.process.kill() }
        let bomb = try Self.bomb(pieces: 512)
        #expect(bomb.count < 1 << 20, "the frame itself is within the limit: \(bomb.count) B")
        #expect(throws: MessageInflater.Failure.tooLarge(limit: 2 << 20), "and it does inflate past it") {
            try MessageInflater().inflate(bomb, limit: 2 << 20)
        }

        let before = try Self.peakResidentKiB(pid: server.process.pid)
        let peer = try await RawPeer(port: server.port)
        #expect(try await peer.handshake(extra: ["Sec-WebSocket-Extensions: permessage-deflate"]).status == 101)
        try await peer.sendFrame(opcode: 0x1, bomb, rsv: 0b100)
        let close = try await peer.readClose()
        #expect(close.code == 1009, "\(close.reason)")
        let after = try Self.peakResidentKiB(pid: server.process.pid)
        // Inflating it whole would take 512 MiB; the limit allows 1 MiB, and the frame itself is under 1 MiB.
        #expect(after - before < 64 * 1024, "peak resident memory grew by \(after - before) KiB")

        let healthy = try await server.connect()
        guard case .welcome = try await healthy.next() else { throw TestFailure("the server no longer serves everyone else") }
    }

    /// The process's peak resident memory (`VmHWM`), in KiB.
    private static func peakResidentKiB(pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw TestFailure("no VmHWM in /proc/\(pid)/status") }
        return kib
    }
}
