import Foundation
import NIOHTTP1
import ServiceLifecycle
import Testing
import TickerClient
import TickerCore
import TickerServer

@Suite("Shutdown and the ticker binary", .timeLimit(.minutes(2)))
struct LifecycleTests {
    @Test("graceful shutdown closes every client with 1001 and finishes within 2 s")
    func gracefulShutdown() async throws {
        let clock = ContinuousClock()
        var shutdownStarted: ContinuousClock.Instant?
        try await TestServer.with { server, group in
            let first = try await server.connect()
            let second = try await server.connect()
            _ = try await first.next()
            _ = try await second.next()
            first.send(.subscribe(symbols: ["*"]))
            _ = try await first.next(where: \.isQuotes)
            shutdownStarted = clock.now
            await group.triggerGracefulShutdown()
            for socket in [first, second] {
                let close = await socket.closing()
                #expect(close.code == 1001)
                #expect(close.reason == "server shutting down")
            }
        }
        let elapsed = clock.now - (shutdownStarted ?? clock.now)
        #expect(elapsed < .seconds(2), "shutdown took \(elapsed)")
    }

    @Test("the built binary finds its assets from another directory, prints its URL, and exits 0 on SIGTERM within 2 s")
    func binaryFromAnotherDirectory() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["TICKER_ASSETS"] = nil
        let server = try ChildProcess(try TickerBinary.url(), ["serve", "--port", "0", "--tick-ms", "50"], environment: environment)
        let line = try await server.line("the server's URL") { _ in true }
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("ws://") }.map(String.init))
        #expect(line.hasPrefix("ticker: serving simulated quotes on ws://127.0.0.1:"))
        let connection = try await WebSocketConnection.connect(to: WebSocketURL(url))
        let socket = TestSocket(connection: connection, timeout: .seconds(20))
        guard case .welcome(let symbols, _, _) = try await socket.next() else { throw TestFailure("no welcome") }
        #expect(symbols.count >= 50)

        let signalled = ContinuousClock.now
        server.kill(signal: SIGINT)  // SIGTERM takes the same path
        let close = await socket.closing()
        #expect(close.code == 1001)
        #expect(await server.exitStatus() == 0)
        #expect(ContinuousClock.now - signalled < .seconds(2))
    }
}

/// Finds the `ticker` executable built next to the test bundle.
enum TickerBinary {
    static func url() throws -> URL {
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug"),
        ].compactMap { $0 }
        for directory in candidates {
            for candidate in [directory, directory.deletingLastPathComponent()] {
                let binary = candidate.appendingPathComponent("ticker")
                if FileManager.default.isExecutableFile(atPath: binary.path) { return binary.standardizedFileURL }
            }
        }
        throw TestFailure("cannot find the ticker binary near \(candidates.map(\.path)); run swift build first")
    }
}
