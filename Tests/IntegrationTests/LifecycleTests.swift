import Foundation
import NIOHTTP1
import ServiceLifecycle
import Testing
import TickerClient
import TickerCore
import TickerServer

@Suite("Shutdown and the ticker binary", .timeLimit(.minutes(2)))
struct LifecycleTests {
    /// The close timeout is long here so that a server waiting it out, instead of ending once every client has
    /// answered its close, is told apart from a slow test machine. (The binary's 2 s with the defaults is the next test.)
    @Test("graceful shutdown closes every client with 1001 and ends once they have answered, not at the close timeout")
    func gracefulShutdown() async throws {
        let clock = ContinuousClock()
        var shutdownStarted: ContinuousClock.Instant?
        try await TestServer.with({ $0.closeTimeout = .seconds(20) }) { server, group in
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
        #expect(elapsed < .seconds(10), "shutdown took \(elapsed)")
    }

    @Test(
        "the binary, run from another directory, closes every client with 1001 server shutting down and exits 0 promptly (2 s; bounded at 5)",
        arguments: [SIGTERM, SIGINT])
    func binaryShutdown(signal: Int32) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["TICKER_ASSETS"] = nil  // found in the resource bundle beside the binary
        let server = try await BinaryServer.start(["--tick-ms", "50"], environment: environment)
        #expect(server.banner.hasPrefix("ticker: serving simulated quotes on ws://127.0.0.1:\(server.port)/ws"))
        var sockets: [TestSocket] = []
        for index in 0..<3 {
            let socket = try await server.connect()
            guard case .welcome(let symbols, _, _, _, _, _) = try await socket.next() else { throw TestFailure("no welcome") }
            #expect(symbols.count >= 50)
            if index > 0 {
                socket.send(.subscribe(symbols: ["*"]))
                _ = try await socket.next(where: \.isQuotes)
            }
            sockets.append(socket)
        }
        let signalled = ContinuousClock.now
        server.process.kill(signal: signal)
        for socket in sockets {
            let close = await socket.closing()
            #expect(close.code == 1001 && close.reason == "server shutting down", "\(close)")
        }
        #expect(await server.process.exitStatus(within: .seconds(10)) == 0)
        // The README's 2 s, with room for a loaded test machine (the server itself takes about 0.1 s here); a server
        // that waited for a close timeout per client, or for its sweep, is the previous test's concern.
        let elapsed = ContinuousClock.now - signalled
        #expect(elapsed < .seconds(5), "signal \(signal) to exit took \(elapsed)")
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
