import Foundation
import NIOCore
import NIOPosix

/// A TCP client that sends exactly the bytes a test gives it, broken or hostile ones included, and reads back what the
/// server answers: HTTP heads, WebSocket frames, the end of the connection. Every wait is bounded (`timeout`).
final class RawPeer {
    private let channel: any Channel
    private var inbound: AsyncStream<ByteBuffer>.Iterator
    /// Bytes received and not consumed yet.
    private(set) var pending: [UInt8] = []
    /// The server ended the connection (EOF or reset).
    private(set) var ended = false

    /// Hands what arrives to the peer's stream; ends it when the server closes or half-closes.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<ByteBuffer>.Continuation
        init(_ continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(unwrapInboundIn(data)) }
        func channelInactive(context: ChannelHandlerContext) { continuation.finish() }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed { continuation.finish() }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    /// Connects to 127.0.0.1:`port`.
    init(port: Int) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(continuation)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        inbound = stream.makeAsyncIterator()
    }

    deinit { channel.close(promise: nil) }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// A client frame: masked unless told otherwise, with the given bits.
    func sendFrame(
        opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true,
        key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    ) async throws {
        try await send(Self.frame(opcode: opcode, payload, fin: fin, rsv: rsv, masked: masked, key: key))
    }

    static func frame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true, key: [UInt8] = [1, 2, 3, 4])
        -> [UInt8]
    {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        let mask: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case ..<126: bytes.append(mask | UInt8(payload.count))
        case ...0xFFFF: bytes += [mask | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default: bytes += [mask | 127] + (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        guard masked else { return bytes + payload }
        return bytes + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    /// Waits until `enough` says the pending bytes suffice, or the connection ends, or `timeout` passes.
    private func fill(timeout: Duration, until enough: ([UInt8]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        let closer = Task { [channel] in
            if (try? await Task.sleep(until: deadline)) != nil { channel.close(promise: nil) }
        }
        defer { closer.cancel() }
        while !enough(pending), !ended {
            guard let chunk = await inbound.next() else {
                ended = true
                break
            }
            pending += chunk.readableBytesView
        }
        if ContinuousClock.now >= deadline, !enough(pending) { throw TestFailure("timed out after \(timeout) reading from the server") }
    }

    /// A WebSocket opening handshake with `headers` (nil leaves the default out); returns the answer's status code and
    /// header lines, and its body when it has a Content-Length.
    func handshake(
        path: String = "/ws", key: String? = "dGhlIHNhbXBsZSBub25jZQ==", version: String? = "13", protocols: String? = "ticker.v1",
        extra: [String] = [], timeout: Duration = .seconds(10)
    ) async throws -> HTTPAnswer {
        var lines = ["GET \(path) HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade"]
        if let key { lines.append("Sec-WebSocket-Key: \(key)") }
        if let version { lines.append("Sec-WebSocket-Version: \(version)") }
        if let protocols { lines.append("Sec-WebSocket-Protocol: \(protocols)") }
        try await send((lines + extra).joined(separator: "\r\n") + "\r\n\r\n")
        return try await readHTTPAnswer(timeout: timeout)
    }

    /// Reads an HTTP response head and, if it has a Content-Length, its body.
    func readHTTPAnswer(timeout: Duration = .seconds(10)) async throws -> HTTPAnswer {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        try await fill(timeout: timeout) { $0.firstRange(of: separator) != nil }
        guard let end = pending.firstRange(of: separator) else { throw TestFailure("no HTTP answer: \(String(decoding: pending, as: UTF8.self))") }
        let lines = String(decoding: pending[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        pending.removeSubrange(..<end.upperBound)
        var answer = HTTPAnswer(status: Int(lines[0].split(separator: " ")[1]) ?? 0, headers: Array(lines.dropFirst()), body: "")
        if let length = answer.header("Content-Length").flatMap({ Int($0) }), length > 0 {
            try await fill(timeout: timeout) { $0.count >= length }
            answer.body = String(decoding: pending.prefix(length), as: UTF8.self)
            pending.removeFirst(min(length, pending.count))
        }
        return answer
    }

    /// The next server frame.
    func readFrame(timeout: Duration = .seconds(10)) async throws -> ServerFrame {
        try await fill(timeout: timeout) { ServerFrame.parse($0) != nil }
        guard let (frame, length) = ServerFrame.parse(pending) else {
            throw TestFailure("the connection ended before a whole frame came (\(pending.count) bytes left)")
        }
        pending.removeFirst(length)
        return frame
    }

    /// Skips data frames until a close frame; returns its code (nil for an empty payload) and reason.
    func readClose(timeout: Duration = .seconds(10)) async throws -> (code: UInt16?, reason: String) {
        while true {
            let frame = try await readFrame(timeout: timeout)
            guard frame.opcode == 0x8 else { continue }
            let code = frame.payload.count >= 2 ? UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]) : nil
            return (code, String(decoding: frame.payload.dropFirst(2), as: UTF8.self))
        }
    }

    /// Waits for the server to end the connection; true if it did within `timeout`. Bytes that still arrive are kept.
    func waitForEnd(timeout: Duration = .seconds(10)) async -> Bool {
        try? await fill(timeout: timeout) { _ in false }
        return ended
    }

    /// Reads the `welcome` after a successful handshake.
    func expectWelcome() async throws {
        let frame = try await readFrame()
        guard frame.text.hasPrefix(#"{"type":"welcome""#) else { throw TestFailure("expected welcome, got \(frame.text)") }
    }
}

/// An HTTP answer as a raw client read it.
struct HTTPAnswer {
    var status: Int
    var headers: [String]
    var body: String

    func header(_ name: String) -> String? {
        let prefix = name.lowercased() + ":"
        return headers.first { $0.lowercased().hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) }
    }
}

/// A frame as the server sent it.
struct ServerFrame {
    var fin: Bool
    var rsv: UInt8
    var opcode: UInt8
    var masked: Bool
    var payload: [UInt8]
    var text: String { String(decoding: payload, as: UTF8.self) }

    /// The first frame of `bytes` and its length on the wire, or nil if it is not all there.
    static func parse(_ bytes: [UInt8]) -> (ServerFrame, Int)? {
        guard bytes.count >= 2 else { return nil }
        var length = Int(bytes[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        let masked = bytes[1] & 0x80 != 0
        if masked { offset += 4 }
        guard bytes.count >= offset + length else { return nil }
        let frame = ServerFrame(
            fin: bytes[0] & 0x80 != 0, rsv: (bytes[0] >> 4) & 0x7, opcode: bytes[0] & 0x0F, masked: masked,
            payload: Array(bytes[offset..<(offset + length)]))
        return (frame, offset + length)
    }
}
