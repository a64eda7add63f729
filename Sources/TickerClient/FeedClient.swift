import Foundation
import NIOSSL
import NIOWebSocket
import Synchronization
import TickerCore

/// The `ticker.v1` client: connects, subscribes, reports every lifecycle event and message, and reconnects by itself
/// with backoff. It remembers where it was in the feed (epoch and seq) and resubscribes asking to resume from there:
/// the server answers with what changed meanwhile (`"resumed":true`), or with a snapshot when it cannot (another
/// epoch: `"resumed":false`).
///
/// Call ``run()`` in a task and read ``events``. Cancelling that task closes the connection with 1000.
public final class FeedClient: Sendable {
    public struct Configuration: Sendable {
        public var url: WebSocketURL
        /// Symbols to subscribe to on every (re)connection; `["*"]` = all.
        public var symbols: [String]
        public var backoff = Backoff()
        /// Extra handshake headers (`Authorization: Bearer ...`).
        public var headers: [(String, String)] = []
        /// TLS settings for `wss://` (trust roots); nil trusts the system's certificate authorities.
        public var tls: TLSConfiguration?
        /// When the very first connection fails, give up instead of retrying (what a user who mistyped a URL wants).
        public var failFastOnFirstConnect = true
        /// Offer `permessage-deflate`: the server then sends its frames compressed.
        public var compression = true
        /// Report every frame both ways, header decoded, as ``ClientEvent/frame(_:)`` (the dashboard's frames pane).
        public var tapFrames = false
        /// How often to ping the server to measure its clock offset (the first at once); nil: never.
        public var clockPingInterval: Duration? = .seconds(2)

        public init(url: WebSocketURL, symbols: [String] = [TickerProtocol.wildcard]) {
            self.url = url
            self.symbols = symbols
        }
    }

    /// Why ``run()`` ended without being cancelled.
    public struct ConnectFailure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public let configuration: Configuration
    public let events: AsyncStream<ClientEvent>
    private let continuation: AsyncStream<ClientEvent>.Continuation
    private let state: Mutex<State>

    private struct State {
        var readyState = ReadyState.closed
        var connection: WebSocketConnection?
        var desired: [String]
        /// Every symbol the server offers, from its last `welcome`.
        var universe: [String] = []
        var stopping = false
        /// A backoff pause waiting to be cut short by ``close()``.
        var pauseWaiter: CheckedContinuation<Void, Never>?
        /// The epoch of the current connection's server, from its `welcome`.
        var connectionEpoch: String?
        /// The last seq received and its epoch: where a reconnection resumes from.
        var position: FeedPosition?
        /// A subscribe sent and not yet answered by its snapshot: resuming would skip that snapshot.
        var subscribeUnanswered = false
    }

    public init(configuration: Configuration) {
        self.configuration = configuration
        (events, continuation) = AsyncStream.makeStream(of: ClientEvent.self)
        state = Mutex(State(desired: configuration.symbols))
    }

    /// The WebSocket API's `readyState`.
    public var readyState: ReadyState { state.withLock { $0.readyState } }

    /// Where the client is in the feed (the last seq received and its epoch); a reconnection resumes from here.
    public var position: FeedPosition? { state.withLock { $0.position } }

    /// Bytes sent and not yet written to the socket (`bufferedAmount`).
    public var bufferedAmount: Int { state.withLock { $0.connection?.bufferedAmount ?? 0 } }

    /// Adds symbols now and on every reconnection.
    public func subscribe(_ symbols: [String]) {
        let connection = state.withLock { state -> WebSocketConnection? in
            state.desired += symbols.filter { !state.desired.contains($0) }
            state.subscribeUnanswered = true
            return state.connection
        }
        connection?.send(ClientMessage.subscribe(symbols: symbols).jsonText)
    }

    /// Removes symbols now and from later reconnections. Removing one symbol from `*` keeps all the others (the
    /// universe comes from the server's `welcome`).
    public func unsubscribe(_ symbols: [String]) {
        let connection = state.withLock { state -> WebSocketConnection? in
            if symbols.contains(TickerProtocol.wildcard) {
                state.desired = []
            } else {
                if state.desired.contains(TickerProtocol.wildcard) { state.desired = state.universe }
                state.desired.removeAll { symbols.contains($0) }
            }
            return state.connection
        }
        connection?.send(ClientMessage.unsubscribe(symbols: symbols).jsonText)
    }

    /// Sends one message on the current connection (nothing when there is none); says whether there was one.
    @discardableResult
    public func send(_ message: ClientMessage) -> Bool {
        guard let connection = state.withLock({ $0.connection }) else { return false }
        connection.send(message.jsonText)
        return true
    }

    /// Drops the TCP connection without a closing handshake (as a network failure would): the close that follows has
    /// no code (1006), and the client reconnects.
    public func drop() {
        state.withLock { $0.connection }?.abort()
    }

    /// Closes the connection with 1000 and ends ``run()`` once the server has answered (or the connection dropped).
    public func close() {
        let (connection, waiter) = state.withLock { state -> (WebSocketConnection?, CheckedContinuation<Void, Never>?) in
            state.stopping = true
            if state.connection != nil { state.readyState = .closing }
            defer { state.pauseWaiter = nil }
            return (state.connection, state.pauseWaiter)
        }
        connection?.close(code: .normalClosure, reason: "client closing")
        waiter?.resume()
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    /// Connects and keeps reconnecting until ``close()`` or the task is cancelled. Throws ``ConnectFailure`` when the first connection
    /// fails and `failFastOnFirstConnect` is set.
    public func run() async throws {
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        var everOpened = false
        defer {
            setReadyState(.closed)
            continuation.finish()
        }
        while !Task.isCancelled, !stopping {
            continuation.yield(.connecting(attempt: attempt))
            setReadyState(.connecting)
            let connection: WebSocketConnection
            do {
                var onFrame: (@Sendable (FrameRecord) -> Void)?
                if configuration.tapFrames {
                    let events = continuation
                    onFrame = { @Sendable record in events.yield(.frame(record)) }
                }
                connection = try await WebSocketConnection.connect(
                    to: configuration.url, headers: configuration.headers, tls: configuration.tls, compression: configuration.compression,
                    onFrame: onFrame)
            } catch {
                setReadyState(.closed)
                let description = "\(error)"
                continuation.yield(.error(description))
                if !everOpened && configuration.failFastOnFirstConnect { throw ConnectFailure(description: description) }
                attempt += 1
                guard await pause(before: attempt, using: &generator) else { return }
                continue
            }
            everOpened = true
            let outcome = await session(on: connection)
            if let refusal = outcome.refusal {
                // Refused by the server's access policy (4401 token, 4403 origin): retrying cannot help.
                throw ConnectFailure(description: refusal)
            }
            // Back off from scratch only after a connection that served data: a server that accepts and closes at once
            // (4503 full, 1013 try again later) is retried ever more slowly, not hammered twice a second.
            if outcome.served { attempt = 0 }
            if Task.isCancelled || stopping { return }
            attempt += 1
            guard await pause(before: attempt, using: &generator) else { return }
        }
    }

    /// Close codes that mean "you may not connect": retrying cannot help.
    static let refusalCodes: Set<Int> = [4401, 4403]

    /// One connection's life: open, subscribe, messages, close. Says whether the server refused access (and why), and
    /// whether it served quotes (a snapshot or a tick).
    private func session(on connection: WebSocketConnection) async -> (refusal: String?, served: Bool) {
        let (desired, stopping, resume) = state.withLock { state -> ([String], Bool, FeedPosition?) in
            state.connection = connection
            state.readyState = state.stopping ? .closing : .open
            state.connectionEpoch = nil
            return (state.desired, state.stopping, state.subscribeUnanswered ? nil : state.position)
        }
        if stopping { connection.close(code: .normalClosure, reason: "client closing") }
        continuation.yield(.open(protocol: connection.negotiatedProtocol, handshake: connection.handshake))
        if !desired.isEmpty { connection.send(ClientMessage.subscribe(symbols: desired, resume: resume).jsonText) }
        // Pings whose id is their send time: each pong measures the round trip and the server's clock offset.
        let pinger = configuration.clockPingInterval.map { interval in
            Task {
                repeat {
                    connection.send(ClientMessage.ping(id: .number(WallClock.nowMicroseconds())).jsonText)
                } while (try? await Task.sleep(for: interval)) != nil
            }
        }
        defer { pinger?.cancel() }
        return await withTaskCancellationHandler { () -> (refusal: String?, served: Bool) in
            var refusal: String?
            var served = false
            for await event in connection.events {
                switch event {
                case .text(let text, let wireBytes):
                    let receivedAt = WallClock.nowMicroseconds()
                    do {
                        let message = try ServerMessage.decode(Data(text.utf8))
                        switch message {
                        case .welcome(let symbols, _, _, let epoch, _, _):
                            state.withLock {
                                $0.universe = symbols.map(\.symbol)
                                $0.connectionEpoch = epoch
                            }
                        case .snapshot(let seq, _, _, let epoch, _):
                            served = true
                            state.withLock { state in
                                state.subscribeUnanswered = false
                                if let epoch = epoch ?? state.connectionEpoch { state.position = FeedPosition(epoch: epoch, seq: seq) }
                            }
                        case .quotes(let seq, _, _, _, _):
                            served = true
                            state.withLock { state in
                                if let epoch = state.connectionEpoch { state.position = FeedPosition(epoch: epoch, seq: seq) }
                            }
                        default: break
                        }
                        continuation.yield(.message(message, receivedAt: receivedAt, bytes: text.utf8.count, wireBytes: wireBytes))
                    } catch {
                        continuation.yield(.error("could not parse a server message (\(error)): \(text.prefix(120))"))
                    }
                case .binary(let bytes):
                    continuation.yield(.error("unexpected binary message of \(bytes.count) bytes"))
                case .closed(let code, let reason):
                    state.withLock {
                        $0.connection = nil
                        $0.readyState = .closed
                    }
                    continuation.yield(.close(code: code, reason: reason, wasClean: code != nil))
                    if let code, Self.refusalCodes.contains(code) { refusal = "the server refused access: \(code) \(reason)" }
                }
            }
            return (refusal, served)
        } onCancel: {
            setReadyState(.closing)
            connection.close(code: .normalClosure, reason: "client closing")
        }
    }

    /// Announces and sleeps the backoff delay; false when closed or cancelled meanwhile.
    private func pause(before attempt: Int, using generator: inout some RandomNumberGenerator) async -> Bool {
        let delay = configuration.backoff.delay(attempt: attempt, using: &generator)
        continuation.yield(.reconnectScheduled(attempt: attempt, delay: delay))
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await Task.sleep(for: delay)) != nil }
            group.addTask {
                await self.waitForClose()
                return false
            }
            let slept = await group.next() ?? false
            group.cancelAll()
            return slept && !stopping
        }
    }

    /// Returns when ``close()`` is called (or at once if it was), or when the task is cancelled.
    private func waitForClose() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let closed = state.withLock { state -> Bool in
                    if state.stopping || Task.isCancelled { return true }
                    state.pauseWaiter = continuation
                    return false
                }
                if closed { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.pauseWaiter = nil }
                return state.pauseWaiter
            }?.resume()
        }
    }

    private func setReadyState(_ readyState: ReadyState) {
        state.withLock { $0.readyState = readyState }
    }
}
