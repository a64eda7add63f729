import Foundation
import Logging
import NIOCore
import NIOWebSocket
import TickerCompression
import TickerCore

/// One upgraded WebSocket, served entirely by this channel handler on the connection's event loop: no task, no lock.
/// It sits after NIO's WebSocket frame decoder and holds everything the connection is: what the client sent and how it
/// is checked against RFC 6455 (``MessageAssembler``), its conflating ``Outbox``, the closing handshake, and the times
/// the housekeeping sweep reads. SwiftNIO's rule holds throughout: the connection's state has one owner, its event
/// loop. Calls from elsewhere (the hub's shutdown, the sweep) hop to that loop first.
///
/// Ticks arrive from the connection's ``LoopLane``, already framed once per loop (``WireFrame``), and are written just
/// below NIO's `WebSocketFrameEncoder`: straight into the channel when nothing is queued ahead of them and the channel
/// is writable (the common case: one write and one flush, no copy), otherwise through the outbox as the socket takes
/// them. Past NIO's high-water mark (TCP backpressure) the rest waits in the outbox, where newer ticks fold together.
/// Control frames (close, ping, pong) go through the encoder.
///
/// Measured (docs/PERFORMANCE.md has the runs and the profile): serving the upgraded socket from this handler instead
/// of hummingbird-websocket's task per connection took resident memory per idle connection from 27.3 KiB down and
/// server CPU per delivered frame from 12.5 µs down (figures in docs/PERFORMANCE.md).
final class ClientConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    // Confined to `eventLoop`. Read or written for every tick frame, so declared first: together behind the object's
    // header they take one or two cache lines, which is what a frame costs in memory traffic beside NIO's own.
    /// Where pre-framed bytes enter the pipeline: NIO's `WebSocketFrameEncoder`, which passes bytes through untouched.
    private var frameContext: ChannelHandlerContext?
    private var phase = Phase.open
    /// The channel takes writes (NIO's writability, as last announced): read on every frame, so kept here rather than
    /// asked of the channel.
    private var writable = true
    private var outbox: Outbox<ByteBuffer>
    /// When something was last queued or written for this client (for heartbeats).
    private var lastQueuedAt: ContinuousClock.Instant
    /// Since when the outbox has been conflating (full, or ending in a folded frame), nil while it keeps up.
    private var behindSince: ContinuousClock.Instant?

    let eventLoop: any EventLoop
    private let fanOut: FanOut
    let lane: LoopLane
    /// Set when the access policy refused the handshake: the connection is closed with it at once.
    private let refusal: AccessPolicy.Refusal?
    /// `permessage-deflate`, when the handshake agreed it: tick frames come compressed from the lane, messages and
    /// conflated frames are compressed here (with the loop's compressor), and compressed client messages inflated.
    let compression: PerMessageDeflate.Agreement?

    // Also confined to `eventLoop`.
    /// Assigned when the hub registers the connection.
    private(set) var id = 0
    private var context: ChannelHandlerContext?
    private var assembler: MessageAssembler
    private var rateLimiter: RateLimiter
    /// Drops the connection if the peer has not completed the closing handshake `closeTimeout` after our close frame.
    private var closeTimer: Scheduled<Void>?
    /// The close that waits for the queued messages (`closeAfterQueued`), and since when.
    private var pendingClose: (code: UInt16, reason: String, since: ContinuousClock.Instant)?
    /// The peer sent a frame since the last sweep (any frame: a pong, a message, a close).
    private var heard = true
    private var lastHeardAt: ContinuousClock.Instant
    private var pingSentAt: ContinuousClock.Instant?
    /// Since when the channel has been unwritable with frames waiting in the outbox (the socket takes nothing).
    private var blockedSince: ContinuousClock.Instant?
    private var draining = false
    /// The close code exchanged (ours if we closed first, the peer's if it did), for `ticker_ws_closes_total`.
    private var closeCode: UInt16?

    /// Where the connection is in its life. No payloads, so that checking it on every frame is an integer compare.
    private enum Phase {
        case open
        /// A close is due (`pendingClose`); it goes once the queued messages are written.
        case closeAfterQueued
        /// Our close frame went out; we wait for the peer's (`closeTimer` gives up after `closeTimeout`).
        case closeSent
        /// The peer closed and we answered: the TCP connection is closed as soon as the answer is written.
        case peerClosed
        /// The connection was failed: our close frame went out and nothing the peer sends is acted on.
        case failed
    }

    /// How a tick's frame was taken.
    enum Delivery {
        case written
        /// Queued behind others (or the channel was unwritable): the lane drains the connection afterwards.
        case queued
        /// The connection is closing: nothing more is sent.
        case dropped
    }

    init(fanOut: FanOut, lane: LoopLane, refusal: AccessPolicy.Refusal?, compression: PerMessageDeflate.Agreement?) {
        let configuration = fanOut.configuration
        self.eventLoop = lane.eventLoop
        self.fanOut = fanOut
        self.lane = lane
        self.refusal = refusal
        outbox = Outbox(tickCapacity: configuration.outboxTickCapacity)
        self.compression = compression
        assembler = MessageAssembler(maxMessageBytes: configuration.maxMessageBytes, compressionNegotiated: compression != nil)
        rateLimiter = RateLimiter(messagesPerSecond: configuration.messagesPerSecond)
        lastHeardAt = .now
        lastQueuedAt = .now
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        frameContext = try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        writable = context.channel.isWritable
        fanOut.channelOpened()
        lane.channels[ObjectIdentifier(self)] = self
        if let refusal {
            fanOut.logger.info("refusing a WebSocket after its handshake: \(refusal.reason)")
            sendClose(code: refusal.closeCode, reason: refusal.reason)
            return
        }
        switch fanOut.register(self) {
        case .registered(let id, let welcome):
            self.id = id
            queue(message: welcome)
        case .full:
            fanOut.logger.info("refusing a WebSocket: \(AccessPolicy.Refusal.full.reason)")
            sendClose(code: AccessPolicy.Refusal.full.closeCode, reason: AccessPolicy.Refusal.full.reason)
        case .shuttingDown:
            sendClose(code: CloseCode.goingAway, reason: "server shutting down")
        case .noFeed:
            fanOut.logger.info("refusing a WebSocket: no tick from the feed yet")
            sendClose(code: CloseCode.tryAgainLater, reason: "no feed yet")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        lane.channels[ObjectIdentifier(self)] = nil
        if id != 0 { fanOut.unregister(self, closeCode: closeCode) }
        if behindSince != nil { fanOut.metrics.connectionBehind(false) }
        behindSince = nil
        outbox = Outbox(tickCapacity: outbox.tickCapacity)
        fanOut.channelClosed()
        self.context = nil
        frameContext = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        heard = true
        switch phase {
        case .open, .closeAfterQueued:
            break
        case .closeSent, .failed:
            // Only the peer's close frame matters now: it completes the closing handshake.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        case .peerClosed:
            return
        }
        let event = assembler.receive(
            fin: frame.fin, rsv1: frame.rsv1, rsv2: frame.rsv2, rsv3: frame.rsv3, opcode: UInt8(webSocketOpcode: frame.opcode),
            masked: frame.maskKey != nil, payload: frame.unmaskedData.readableBytesView)
        switch event {
        case .incomplete, .pong:
            break
        case .text(let bytes):
            guard admit() else { return }
            handle(bytes)
        case .compressed(let bytes, isText: true):
            guard admit(), let text = inflate(bytes) else { return }
            handle(text)
        case .binary, .compressed:
            guard admit() else { return }
            requestClose(code: CloseCode.unsupportedData, reason: "binary frames are not accepted: ticker.v1 is JSON text")
        case .ping(let payload):
            guard admit() else { return }
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: context.channel.allocator.buffer(bytes: payload))
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .close(let code, let reason):
            closeCode = code ?? CloseCode.noStatus
            fanOut.logger.debug(
                "client closed", metadata: ["connection": "\(id)", "code": "\(code.map(String.init) ?? "none")", "reason": "\(reason)"])
            // Echo the peer's code (RFC 6455 §5.5.1), then close the TCP connection: the server closes it first.
            phase = .peerClosed
            let answer = WebSocketFrame(
                fin: true, opcode: .connectionClose, data: Self.closePayload(code: code, reason: "", allocator: context.channel.allocator))
            context.writeAndFlush(wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .fail(let code, let reason):
            fail(code: code, reason: reason, streamBroken: false)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            fail(code: CloseCode.messageTooBig, reason: "frame larger than \(fanOut.configuration.maxMessageBytes) bytes", streamBroken: true)
        case NIOWebSocketError.fragmentedControlFrame:
            fail(code: CloseCode.protocolError, reason: "control frames must not be fragmented", streamBroken: true)
        case NIOWebSocketError.multiByteControlFrameLength:
            fail(code: CloseCode.protocolError, reason: "control frames carry at most 125 bytes", streamBroken: true)
        case is ByteToMessageDecoderError:
            break  // bytes after a decoding error: the connection is being failed already
        default:
            fanOut.logger.debug("connection error", metadata: ["connection": "\(id)", "error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let event as ChannelEvent where event == .inputClosed:
            // The peer half-closed its side (FIN without a close frame, or after ours): nothing more can be said.
            context.close(promise: nil)
        case is ChannelShouldQuiesceEvent:
            // The HTTP server is stopping (the fan-out normally closed this connection already).
            requestClose(code: CloseCode.goingAway, reason: "server shutting down")
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// On the loop: ends the TCP connection now (shutdown's last resort for a peer that never answered its close).
    func abort() {
        context?.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable {
            blockedSince = nil
            drain()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Client messages

    /// A compressed text message, inflated and checked (at most `--max-message-bytes`, valid UTF-8), or nil when the
    /// connection had to be failed: 1009 as soon as it would inflate past the limit (a small "zip bomb" costs at most
    /// the limit in memory), 1007 for data that is not DEFLATE or text that is not UTF-8.
    private func inflate(_ compressed: [UInt8]) -> [UInt8]? {
        let limit = fanOut.configuration.maxMessageBytes
        guard let inflater = lane.inflater else {
            fail(code: CloseCode.internalError, reason: "no inflater", streamBroken: false)
            return nil
        }
        let text: [UInt8]
        do {
            text = try inflater.inflate(compressed, limit: limit)
        } catch .tooLarge(_) {
            fail(code: CloseCode.messageTooBig, reason: "message larger than \(limit) bytes once inflated", streamBroken: false)
            return nil
        } catch {
            fail(code: CloseCode.invalidPayload, reason: "compressed message is not valid DEFLATE data", streamBroken: false)
            return nil
        }
        var utf8 = UTF8Validator()
        guard utf8.validate(text), utf8.isAtBoundary else {
            fail(code: CloseCode.invalidPayload, reason: "text message is not valid UTF-8", streamBroken: false)
            return nil
        }
        return text
    }

    /// Counts a client message (or ping) against the rate limit; past it, `rate_limited` and close 1008.
    private func admit() -> Bool {
        guard rateLimiter.allow(now: DispatchTime.now().uptimeNanoseconds) else {
            let limit = fanOut.configuration.messagesPerSecond
            send(.error(code: .rateLimited, message: "more than \(limit) messages per second; closing the connection", symbols: nil))
            requestClose(code: CloseCode.policyViolation, reason: "rate limit exceeded", afterQueuedMessages: true)
            return false
        }
        return true
    }

    private func handle(_ bytes: [UInt8]) {
        do {
            switch try ClientMessage.decode(Data(bytes)) {
            case .subscribe(let symbols, let resume):
                fanOut.changeSubscriptions(self, subscribe: true, names: symbols, resume: resume)
            case .unsubscribe(let symbols):
                fanOut.changeSubscriptions(self, subscribe: false, names: symbols)
            case .ping(let id):
                send(.pong(id: id, ts: fanOut.configuration.nowMicroseconds))
            }
        } catch {
            send(.error(code: error.code, message: error.message, symbols: nil))
        }
    }

    // MARK: Sending

    /// On the loop: queues a message for this client, in order with what the lane still has to deliver.
    func send(_ message: ServerMessage) {
        let payload = message.encodedJSON
        lane.inOrder { self.queue(message: payload) }
    }

    /// On the loop: queues an encoded message now (framed for this client) and drains.
    func queue(message payload: [UInt8]) {
        guard phase == .open else { return }
        outbox.push(message: frame(payload))
        lastQueuedAt = .now
        drain()
    }

    /// On the loop: a tick's frame for this client, at `now`. Written at once when `direct`, nothing is queued ahead of
    /// it and the channel is writable (the lane counts it); otherwise queued (maybe conflated) for ``drain()``.
    func deliver(
        _ frame: ByteBuffer, seq: UInt64, ts: Int64, quotes: [Quote], earlier: Int, direct: Bool, now: ContinuousClock.Instant
    ) -> Delivery {
        guard phase == .open, let frameContext else { return .dropped }
        lastQueuedAt = now
        if direct, writable, outbox.isEmpty {
            frameContext.writeAndFlush(NIOAny(frame), promise: nil)
            return .written
        }
        outbox.push(tick: seq, ts: ts, quotes: quotes, earlier: earlier, payload: frame)
        if behindSince == nil, outbox.isConflating {
            behindSince = now
            fanOut.metrics.connectionBehind(true)
        }
        return .queued
    }

    /// On the loop: writes queued frames in order while the channel is writable, then flushes once; sends a close that
    /// was waiting for them.
    func drain() {
        guard !draining, let frameContext else { return }
        draining = true
        defer { draining = false }
        var wrote = false
        while writable, let item = outbox.popFirst() {
            let frame: ByteBuffer
            switch item {
            case .message(let payload), .tick(_, _, _, _, let payload):
                frame = payload
            case .conflated(let folded):
                frame = self.frame(folded.message.encodedJSON)
                lane.tally.conflatedTicks += folded.earlierTicks
            }
            lane.tally.count(frame)
            frameContext.write(NIOAny(frame), promise: nil)
            wrote = true
        }
        if behindSince != nil, !outbox.isConflating {
            behindSince = nil
            fanOut.metrics.connectionBehind(false)
        }
        if !outbox.isEmpty, blockedSince == nil { blockedSince = .now }
        if wrote { frameContext.flush() }
        if phase == .closeAfterQueued, outbox.isEmpty, let close = pendingClose { sendClose(code: close.code, reason: close.reason) }
    }

    /// `payload` as a frame for this client: compressed on its own by the loop's compressor when the client agreed to
    /// `permessage-deflate` and compressing makes it smaller, plain otherwise.
    private func frame(_ payload: [UInt8]) -> ByteBuffer {
        if let compression, payload.count >= WireFrame.compressionThreshold,
            let compressed = try? lane.deflater(windowBits: compression.serverWindowBits)?.compress(payload)
        {
            fanOut.metrics.messageCompressed()
            if compressed.count < payload.count { return WireFrame.text(compressed, compressed: true) }
        }
        return WireFrame.text(payload)
    }

    // MARK: Closing

    /// On the loop: closes with `code`. With `afterQueuedMessages` what is queued goes first (an `error` explaining the
    /// close); otherwise the close goes now and the queue is dropped. The first request wins.
    func requestClose(code: UInt16, reason: String, afterQueuedMessages: Bool = false) {
        guard phase == .open else { return }
        if afterQueuedMessages, !outbox.isEmpty {
            phase = .closeAfterQueued
            pendingClose = (code, reason, .now)
            drain()
        } else {
            sendClose(code: code, reason: reason)
        }
    }

    /// Fails the connection (RFC 6455 §7.1.7): our close frame now, nothing more acted on. When the frame stream itself
    /// is broken (the decoder gave up), the peer's close can never be read, so our side is half-closed after the close
    /// frame and the connection ends when the peer closes, or at the close timeout.
    private func fail(code: UInt16, reason: String, streamBroken: Bool) {
        switch phase {
        case .open, .closeAfterQueued: break
        case .closeSent, .peerClosed, .failed: return
        }
        fanOut.logger.info("failing a WebSocket", metadata: ["connection": "\(id)", "code": "\(code)", "reason": "\(reason)"])
        sendClose(code: code, reason: reason)
        phase = .failed
        if streamBroken, let context {
            context.flush()
            context.close(mode: .output, promise: nil)
        }
    }

    /// Writes our close frame and waits for the peer's (the sweep drops the connection after `closeTimeout`).
    private func sendClose(code: UInt16, reason: String) {
        guard let context else { return }
        closeCode = code
        outbox = Outbox(tickCapacity: outbox.tickCapacity)
        phase = .closeSent
        let timeout = fanOut.configuration.closeTimeout
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            fanOut.logger.notice("dropping a connection that did not complete its close", metadata: ["connection": "\(id)"])
            self.context?.close(promise: nil)
        }
        let frame = WebSocketFrame(
            fin: true, opcode: .connectionClose, data: Self.closePayload(code: code, reason: reason, allocator: context.channel.allocator))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    /// A close frame's payload: the code, then the reason cut to fit the 125-byte control-frame limit on a character
    /// boundary. Nil `code`: an empty payload.
    static func closePayload(code: UInt16?, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard let code else { return allocator.buffer(capacity: 0) }
        var buffer = allocator.buffer(capacity: 2 + reason.utf8.count)
        buffer.writeInteger(code)
        var cut = Substring(reason)
        while cut.utf8.count > 123 { cut = cut.dropLast() }
        buffer.writeString(String(cut))
        return buffer
    }

    // MARK: Housekeeping

    /// On the loop, from the sweep: dead-peer pings, heartbeats, slow consumers, closes the peer never answered.
    func inspect(seq: UInt64, configuration: TickerServerConfiguration) {
        let now = lane.now
        switch phase {
        case .closeAfterQueued:
            // The messages ahead of the close are not being read: close without them.
            if let close = pendingClose, now - close.since > configuration.closeTimeout { sendClose(code: close.code, reason: close.reason) }
            return
        case .closeSent, .failed, .peerClosed:
            return
        case .open:
            break
        }
        if heard {
            heard = false
            lastHeardAt = now
            pingSentAt = nil
        }
        let stalledSince = min(behindSince ?? now, blockedSince ?? now)
        if now - stalledSince > configuration.slowConsumerTimeout {
            fanOut.logger.notice("closing slow consumer", metadata: ["connection": "\(id)"])
            fanOut.metrics.slowConsumerClosed()
            requestClose(code: CloseCode.policyViolation, reason: "slow consumer")
            return
        }
        if let pingSentAt {
            if now - pingSentAt >= configuration.pingTimeout {
                fanOut.logger.notice("closing a peer that did not answer a ping", metadata: ["connection": "\(id)"])
                requestClose(code: CloseCode.goingAway, reason: "Ping timeout")
                return
            }
        } else if now - lastHeardAt >= configuration.pingInterval, let context {
            pingSentAt = now
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())), promise: nil)
        }
        if outbox.isEmpty, blockedSince == nil, now - lastQueuedAt >= configuration.heartbeatInterval {
            queue(message: ServerMessage.heartbeat(seq: seq, ts: fanOut.configuration.nowMicroseconds).encodedJSON)
        }
    }
}
