import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import TickerCore

/// Every accepted TCP connection: HTTP/1.1 for Hummingbird's routes, or, when its first request is a WebSocket
/// handshake at `/ws`, an upgrade to a ``ClientConnection`` handler that serves it from then on with no task at all.
///
/// The pipeline, in order: ``RequestHeadTimeout`` (the first request head's time), NIO's HTTP decoder and encoder with
/// their limits (`--max-header-bytes`), ``HTTPParseErrorResponder`` (431/400 for what the decoder refuses), NIO's upgrade handler with
/// ``TickerWebSocketUpgrader`` (``HandshakePolicy`` decides; NIO's typed WebSocket upgrader computes the accept key
/// and installs its frame decoder and encoder). Not upgraded: Hummingbird's HTTP/1 handlers, with the idle timeout
/// bounding a kept-alive connection's wait for its next request. A refused handshake gets its status (400, 426) and a
/// JSON body saying why.
struct HTTPAndWebSocketChannel: ServerChildChannel, HTTPChannelHandler {
    /// What a connection became once its first request was read.
    enum Outcome: Sendable {
        /// Upgraded: the ``ClientConnection`` handler owns it.
        case webSocket
        /// Plain HTTP.
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// A WebSocket handshake refused with an HTTP answer.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, HandshakeRefusal)
    }

    struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let fanOut: FanOut

    init(responder: @escaping HTTPChannelHandler.Responder, fanOut: FanOut) {
        self.responder = Self.refusingLateUpgrades(responder)
        self.fanOut = fanOut
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let configuration = fanOut.configuration
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(RequestHeadTimeout(timeout: configuration.headerTimeout))
            let refused = NIOLoopBoundBox<HandshakeRefusal?>(nil, eventLoop: channel.eventLoop)
            let upgrader = TickerWebSocketUpgrader(fanOut: fanOut, refused: refused)
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try sync.addHandler(HTTPConnectionStateHandler(idleTimeout: configuration.headerTimeout, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return refused.value.map { .refused(http, $0) } ?? .http(http)
                    }
                })
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrade)
            pipeline.enablePipelining = false  // Hummingbird's NIOAsyncChannel serves requests in order
            pipeline.enableErrorHandling = false  // HTTPParseErrorResponder answers instead
            pipeline.enableResponseHeaderValidation = false  // swift-http-types validates
            pipeline.decoderConfiguration.maxHeaderFieldSize = configuration.maxHeaderBytes
            pipeline.decoderConfiguration.maxHeaderListSize = configuration.maxHeaderBytes
            let outcome = try sync.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            let decoder = try sync.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try sync.addHandler(HTTPParseErrorResponder(), position: .after(decoder.handler))
            return Value(outcome: outcome, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .webSocket:
                return  // served by its channel handler from here on
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let refusal):
                logger.info("refused a WebSocket handshake (\(refusal.status)): \(refusal.message)")
                try await http.executeThenClose { _, outbound in
                    var head = HTTPResponse(status: .init(code: refusal.status))
                    head.headerFields[.connection] = "close"
                    head.headerFields[.contentType] = "application/json; charset=utf-8"
                    head.headerFields[.contentLength] = "\(refusal.body.count)"
                    for (name, value) in refusal.headers { head.headerFields[HTTPField.Name(name)!] = value }
                    try await outbound.write(contentsOf: [.head(head), .body(ByteBuffer(bytes: refusal.body)), .end(nil)])
                }
            }
        } catch {
            logger.debug("connection ended before its first request was served", metadata: ["error": "\(error)"])
        }
    }

    /// NIO upgrades only a connection's first request. A handshake arriving later on a kept-alive connection is sent
    /// back to the same URL on a new connection (`307` and `Connection: close`), as hummingbird-websocket does.
    private static func refusingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct CloseAfterRedirect: Error {}
        return { request, writer, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket",
                request.headers[.connection]?.lowercased().contains("upgrade") == true
            else {
                try await responder(request, writer, channel)
                return
            }
            let location = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
            try await writer.writeResponse(HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location]))
            throw CloseAfterRedirect()
        }
    }
}

/// NIO's typed WebSocket upgrader, with ``HandshakePolicy`` deciding first: a refusal is kept for the HTTP answer
/// (NIO itself would close with nothing), an acceptance adds the subprotocol to the 101 and installs a
/// ``ClientConnection`` after NIO's frame decoder.
struct TickerWebSocketUpgrader: NIOTypedHTTPServerProtocolUpgrader, Sendable {
    typealias UpgradeResult = HTTPAndWebSocketChannel.Outcome

    let supportedProtocol = "websocket"
    let requiredUpgradeHeaders: [String] = []
    private let inner: NIOTypedWebSocketServerUpgrader<UpgradeResult>
    private let fanOut: FanOut
    private let refused: NIOLoopBoundBox<HandshakeRefusal?>
    /// The accepted handshake's 101 headers, access refusal and compression, between deciding and upgrading.
    private let accepted: NIOLoopBoundBox<Accepted?>

    struct Accepted {
        var headers: [(String, String)]
        var refusal: AccessPolicy.Refusal?
        var compression: PerMessageDeflate.Agreement?
    }

    init(fanOut: FanOut, refused: NIOLoopBoundBox<HandshakeRefusal?>) {
        let accepted = NIOLoopBoundBox<Accepted?>(nil, eventLoop: refused.eventLoop)
        self.fanOut = fanOut
        self.refused = refused
        self.accepted = accepted
        inner = NIOTypedWebSocketServerUpgrader(
            maxFrameSize: fanOut.configuration.maxMessageBytes, enableAutomaticErrorHandling: false,
            shouldUpgrade: { channel, _ in
                channel.eventLoop.makeSucceededFuture(accepted.value.map { HTTPHeaders($0.headers) })
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    // HTTP is over: its error responder would misread WebSocket frames.
                    if let responder = try? sync.handler(type: HTTPParseErrorResponder.self) { sync.removeHandler(responder, promise: nil) }
                    try channel.syncOptions?.setOption(
                        .socketOption(.so_sndbuf), value: SocketOptionValue(fanOut.configuration.socketSendBufferBytes))
                    let lane = fanOut.lane(for: channel.eventLoop)
                    try sync.addHandler(
                        ClientConnection(fanOut: fanOut, lane: lane, refusal: accepted.value?.refusal, compression: accepted.value?.compression))
                    return .webSocket
                }
            })
    }

    func buildUpgradeResponse(
        channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        let request = HandshakePolicy.Request(
            method: upgradeRequest.method.rawValue, majorVersion: upgradeRequest.version.major,
            minorVersion: upgradeRequest.version.minor, target: upgradeRequest.uri,
            headers: upgradeRequest.headers.map { (name: $0.name, value: $0.value) })
        switch HandshakePolicy.decide(request, access: fanOut.configuration.access, compression: fanOut.configuration.compression) {
        case .refuse(let refusal):
            refused.value = refusal
            return channel.eventLoop.makeFailedFuture(NIOWebSocketUpgradeError.unsupportedWebSocketTarget)
        case .accept(let headers, let refusal, let compression):
            accepted.value = Accepted(headers: headers, refusal: refusal, compression: compression)
            return inner.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
        }
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        inner.upgrade(channel: channel, upgradeRequest: upgradeRequest)
    }
}
