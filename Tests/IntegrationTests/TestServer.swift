import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Testing
import TickerAssets
import TickerClient
import TickerCore
import TickerServer

/// A real `TickerServer` on an ephemeral loopback port, for the duration of `body`.
struct TestServer {
    /// When set, every server ``with(_:_:)`` starts is an edge of this database, following its feed instead of running
    /// a simulator of its own: ``EdgeConformanceTests`` re-runs the single-process suites' tests that way. The
    /// simulator's settings (activity, seed, tick interval) are then the feed's.
    @TaskLocal static var edgeOf: DatabaseURL?

    let port: Int
    let server: TickerServer
    var url: WebSocketURL { try! WebSocketURL("ws://127.0.0.1:\(port)/ws") }
    var http: String { "http://127.0.0.1:\(port)" }

    /// Starts a server on event loops of its own (so one test's load cannot stall another's connections), runs `body`,
    /// then shuts the server down gracefully.
    static func with(
        _ configure: (inout TickerServerConfiguration) -> Void = { _ in },
        _ body: (TestServer, ServiceGroup) async throws -> Void
    ) async throws {
        var configuration = TickerServerConfiguration()
        configuration.port = 0
        configuration.tickInterval = .milliseconds(20)
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { eventLoops.shutdownGracefully { _ in } }
        configuration.eventLoopGroup = eventLoops
        configure(&configuration)
        if let database = edgeOf { configuration.database = database }
        var logger = Logger(label: "test-server")
        logger.logLevel = .error
        let server = try TickerServer(
            configuration: configuration, assetsJSON: TickerAssets.symbolsJSON(), webDirectory: TickerAssets.webDirectory,
            logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(services: try server.makeServices { portContinuation.yield($0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // If the server cannot start (say, the port is taken), end the wait for its port at once.
                defer { portContinuation.finish() }
                try await group.run()
            }
            var portIterator = ports.makeAsyncIterator()
            guard let port = await portIterator.next() else {
                do {
                    try await tasks.waitForAll()
                    throw StartFailure(reason: "it stopped without listening")
                } catch let failure as StartFailure {
                    throw failure
                } catch {
                    throw StartFailure(reason: "\(error)")
                }
            }
            do {
                let testServer = TestServer(port: port, server: server)
                if edgeOf != nil {
                    try await eventually("the edge to have the feed") { try await testServer.get("/healthz").status == 200 }
                }
                try await body(testServer, group)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            // Shutdown is bounded: clients get 1001 and a close timeout to answer.
            tasks.addTask {
                try await Task.sleep(for: .seconds(15))
                throw TestFailure("the server did not shut down within 15 s of graceful shutdown")
            }
            _ = try await tasks.next()
            tasks.cancelAll()
        }
    }

    /// The server could not start listening (its port was taken, say).
    struct StartFailure: Error, CustomStringConvertible {
        var reason: String
        var description: String { "the server never listened: \(reason)" }
    }

    /// For tests that need no ticks (the protocol's edge cases): a tick a second, so that the many servers such tests
    /// start at once leave the machine to the tests that measure the feed.
    static func quiet(_ configuration: inout TickerServerConfiguration) {
        configuration.tickInterval = .seconds(1)
    }

    /// Opens a WebSocket to this server; the connection is aborted if the test is still using it after `timeout`.
    func connect(
        protocols: [String] = [TickerProtocol.name], headers: [(String, String)] = [], query: String = "", receiveBufferSize: Int? = nil,
        timeout: Duration = .seconds(20)
    ) async throws -> TestSocket {
        let connection = try await WebSocketConnection.connect(
            to: try WebSocketURL("ws://127.0.0.1:\(port)/ws\(query)"), protocols: protocols, headers: headers,
            receiveBufferSize: receiveBufferSize)
        return TestSocket(connection: connection, timeout: timeout)
    }

    /// A GET against this server.
    func get(_ path: String, headers: [(String, String)] = []) async throws -> (status: Int, headers: [(String, String)], body: String) {
        var request = HTTPClientRequest(url: http + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), response.headers.map { ($0.name, $0.value) }, String(buffer: body))
    }
}

/// A test's WebSocket: reads events in order, each wait bounded (the socket is aborted at its deadline).
final class TestSocket {
    let connection: WebSocketConnection
    private var events: AsyncStream<WebSocketEvent>.Iterator
    private let watchdog: Task<Void, Never>

    init(connection: WebSocketConnection, timeout: Duration) {
        self.connection = connection
        self.events = connection.events.makeAsyncIterator()
        watchdog = Task { [connection] in
            if (try? await Task.sleep(for: timeout)) != nil { connection.abort() }
        }
    }

    deinit { watchdog.cancel() }

    /// The next event (a `.closed` when the connection ended or the watchdog fired).
    func nextEvent() async -> WebSocketEvent {
        await events.next() ?? .closed(code: nil, reason: "stream ended")
    }

    /// The next text message as raw text.
    func nextText() async throws -> String {
        switch await nextEvent() {
        case .text(let text, _): return text
        case let other: throw TestFailure("expected a text message, got \(other)")
        }
    }

    /// The next message, decoded.
    func next() async throws -> ServerMessage {
        try ServerMessage.decode(Data(try await nextText().utf8))
    }

    /// Skips messages until one matches; returns it.
    func next(where matches: (ServerMessage) -> Bool) async throws -> ServerMessage {
        while true {
            let message = try await next()
            if matches(message) { return message }
        }
    }

    /// Reads until the connection closes and returns the close code and reason.
    func closing() async -> (code: Int?, reason: String) {
        while true {
            if case .closed(let code, let reason) = await nextEvent() { return (code, reason) }
        }
    }

    func send(_ message: ClientMessage) { connection.send(message.jsonText) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Waits until `condition` holds, checking every 10 ms, for at most `timeout`.
func eventually(timeout: Duration = .seconds(20), _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

extension ServerMessage {
    var isQuotes: Bool {
        if case .quotes = self { return true }
        return false
    }
    var isSubscribed: Bool {
        if case .subscribed = self { return true }
        return false
    }
    var isError: Bool {
        if case .error = self { return true }
        return false
    }
    var isPong: Bool {
        if case .pong = self { return true }
        return false
    }
}

/// Runs CPU-heavy test work (replaying the seeded simulator, say) on a thread of its own: Swift's cooperative pool has
/// one thread per core (two here), and every other test and in-process server needs them meanwhile.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
