import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization
import TickerCompression
import TickerCore

/// One client WebSocket connection on SwiftNIO, exposing what the browser's WebSocket API exposes: the events in
/// order, the negotiated `protocol`, `bufferedAmount`, and, beyond the browser, the opening handshake exactly as it
/// crossed the wire.
///
/// Built on NIO's client upgrader rather than hummingbird's `WSClient` because only the upgrader hands back the
/// server's response head (for `Sec-WebSocket-Accept` and the chosen subprotocol).
public final class WebSocketConnection: Sendable {
    /// The request as sent and the response as answered.
    public let handshake: Handshake
    /// The subprotocol the server chose (`Sec-WebSocket-Protocol` of the 101), or nil.
    public let negotiatedProtocol: String?
    /// The extensions the server agreed to (`Sec-WebSocket-Extensions` of the 101, as the browser's `extensions`), or nil.
    public let negotiatedExtensions: String?
    /// Messages as they arrive, then `.closed`.
    public let events: AsyncStream<WebSocketEvent>
    private let channel: any Channel
    private let flags: ConnectionFlags

    private init(
        handshake: Handshake, negotiatedProtocol: String?, negotiatedExtensions: String?, events: AsyncStream<WebSocketEvent>,
        channel: any Channel, flags: ConnectionFlags
    ) {
        self.handshake = handshake
        self.negotiatedProtocol = negotiatedProtocol
        self.negotiatedExtensions = negotiatedExtensions
        self.events = events
        self.channel = channel
        self.flags = flags
    }

    /// Bytes of messages handed to `send` that the socket has not taken yet.
    public var bufferedAmount: Int { flags.bufferedAmount.load(ordering: .relaxed) }

    /// Message payload bytes received so far: as they came over the wire, and as delivered (inflated when compressed).
    public var received: (wire: Int, messages: Int) {
        (flags.wireBytes.load(ordering: .relaxed), flags.messageBytes.load(ordering: .relaxed))
    }

    /// Opens a connection and performs the opening handshake.
    /// - Parameters:
    ///   - protocols: subprotocols to offer (`Sec-WebSocket-Protocol`); empty offers none.
    ///   - receiveBufferSize: the socket's `SO_RCVBUF`, to make a deliberately slow reader in tests.
    ///   - tls: for `wss://` URLs; nil trusts the system's certificate authorities.
    ///   - compression: offer `permessage-deflate` (RFC 7692); the server's messages then come compressed.
    public static func connect(
        to url: WebSocketURL, protocols: [String] = [TickerProtocol.name], headers: [(String, String)] = [],
        maxFrameSize: Int = 1 << 24, receiveBufferSize: Int? = nil, connectTimeout: TimeAmount = .seconds(5),
        tls: TLSConfiguration? = nil, compression: Bool = true,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onFrame: (@Sendable (FrameRecord) -> Void)? = nil
    ) async throws -> WebSocketConnection {
        let sslContext: NIOSSLContext?
        do {
            sslContext = url.secure ? try NIOSSLContext(configuration: tls ?? .makeClientConfiguration()) : nil
        } catch {
            throw WebSocketConnectError.unreachable(host: url.host, port: url.port, underlying: "TLS set-up failed: \(error)")
        }
        let flags = ConnectionFlags()
        let (events, continuation) = AsyncStream.makeStream(of: WebSocketEvent.self)
        var bootstrap = ClientBootstrap(group: eventLoopGroup).connectTimeout(connectTimeout)
        if let receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: .init(receiveBufferSize))
        }
        var requestHeaders = HTTPHeaders([("Host", url.hostHeader)])
        if !protocols.isEmpty { requestHeaders.add(name: "Sec-WebSocket-Protocol", value: protocols.joined(separator: ", ")) }
        if compression { requestHeaders.add(name: "Sec-WebSocket-Extensions", value: PerMessageDeflate.clientOffer) }
        for (name, value) in headers { requestHeaders.add(name: name, value: value) }
        let requestHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target, headers: requestHeaders)

        let upgrade: EventLoopFuture<Outcome>
        let channel: any Channel
        do {
            (channel, upgrade) = try await bootstrap.connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        // SNI and name checks use the host name; for an IP address NIOSSL checks the certificate's IP SAN.
                        let isAddress = (try? SocketAddress(ipAddress: url.host, port: 0)) != nil
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: sslContext, serverHostname: isAddress ? nil : url.host))
                    }
                    let recorder = NIOLoopBound(HandshakeRecorder(), eventLoop: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHandler(recorder.value)
                    let upgrader = NIOTypedWebSocketClientUpgrader<Outcome>(maxFrameSize: maxFrameSize) { channel, response in
                        channel.eventLoop.makeCompletedFuture {
                            // A server that agreed permessage-deflate compresses what it sends; one that answered
                            // something this client did not offer fails the connection (RFC 7692 §5).
                            let agreement = try PerMessageDeflate.clientAccepts(response.headers["Sec-WebSocket-Extensions"])
                            if agreement != nil, !compression {
                                throw PerMessageDeflate.ResponseError(description: "the server agreed an extension the client did not offer")
                            }
                            let inflater = try agreement.map { try MessageInflater(contextTakeover: !$0.serverNoContextTakeover) }
                            if let onFrame { try channel.pipeline.syncOperations.addHandler(FrameTap(report: onFrame)) }
                            try channel.pipeline.syncOperations.addHandler(
                                FrameHandler(continuation: continuation, flags: flags, inflater: inflater, maxMessageBytes: maxFrameSize))
                            // If the server closed before this point, NIO has torn the pipeline down: the frame handler
                            // will never see a frame or channelInactive. End `events` from the close future then, with the
                            // close frame recovered from the raw bytes (a server refusing a client right after its 101).
                            channel.closeFuture.whenComplete { _ in
                                channel.eventLoop.execute {
                                    if let frame = recorder.value.closeFrameAfterHandshake {
                                        flags.closeFrame.withLock { if $0 == nil { $0 = frame } }
                                    }
                                    flags.finish(continuation)
                                }
                            }
                            return .upgraded(response, recorder.value.handshake)
                        }
                    }
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Outcome>(
                        upgradeRequestHead: requestHead, upgraders: [upgrader]
                    ) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let body = channel.eventLoop.makePromise(of: String.self)
                            try channel.pipeline.syncOperations.addHandler(RefusalCollector(promise: body))
                            return .refused(body: body.futureResult, recorder.value.handshake)
                        }
                    }
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // The server's first frame may share a TCP segment with the 101; keep those bytes.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return (channel, try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline))
                }
            }
        } catch {
            continuation.finish()
            throw WebSocketConnectError.unreachable(host: url.host, port: url.port, underlying: Self.explain(error))
        }
        switch try await upgrade.get() {
        case .upgraded(let response, let handshake):
            return WebSocketConnection(
                handshake: handshake, negotiatedProtocol: response.headers.first(name: "Sec-WebSocket-Protocol"),
                negotiatedExtensions: response.headers.first(name: "Sec-WebSocket-Extensions"), events: events, channel: channel,
                flags: flags)
        case .refused(let body, let handshake):
            continuation.finish()
            let text = (try? await body.get()) ?? ""
            try? await channel.close()
            // "HTTP/1.1 400 Bad Request" -> 400, "Bad Request"
            let statusLine = handshake.response.first?.split(separator: " ", maxSplits: 2).map(String.init) ?? []
            throw WebSocketConnectError.refused(
                status: statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0, reason: statusLine.count > 2 ? statusLine[2] : "",
                body: text, handshake: handshake)
        }
    }

    /// `connection refused` rather than NIO's full error description.
    private static func explain(_ error: any Error) -> String {
        let underlying = (error as? NIOConnectionError)?.connectionErrors.first?.error ?? error
        if let io = underlying as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if underlying is ChannelError, case ChannelError.connectTimeout = underlying { return "connection timed out" }
        return "\(underlying)"
    }

    private enum Outcome: Sendable {
        case upgraded(HTTPResponseHead, Handshake)
        case refused(body: EventLoopFuture<String>, Handshake)
    }

    /// Queues a text message; it counts in `bufferedAmount` until the socket takes it.
    public func send(_ text: String) {
        send(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)))
    }

    /// Queues any frame (masked by the caller): for tests that send binary, oversized or fragmented frames.
    ///
    /// Its bytes count in `bufferedAmount` from this call until the socket has taken them, as with the browser's
    /// `send()`: a burst of sends shows up at once, before the event loop has written any of it.
    public func send(_ frame: WebSocketFrame) {
        let bytes = frame.length
        flags.bufferedAmount.add(bytes, ordering: .relaxed)
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { [flags] _ in flags.bufferedAmount.subtract(bytes, ordering: .relaxed) }
        channel.writeAndFlush(frame, promise: written)
    }

    /// Starts the closing handshake; `events` ends with the server's answer.
    public func close(code: WebSocketErrorCode = .normalClosure, reason: String = "") {
        guard !flags.closeSent.exchange(true, ordering: .relaxed) else { return }
        var body = ByteBuffer()
        body.writeInteger(UInt16(webSocketErrorCode: code))
        body.writeString(reason)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: body), promise: nil)
    }

    /// Drops the TCP connection without a closing handshake.
    public func abort() {
        channel.close(promise: nil)
    }

    /// Stops reading from the socket (the kernel buffers fill and TCP pushes back on the server), or starts again.
    public func setReading(_ reading: Bool) {
        channel.setOption(ChannelOptions.autoRead, value: reading).whenSuccess { [channel] in
            if reading { channel.read() }
        }
    }
}
