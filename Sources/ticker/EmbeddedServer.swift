import ArgumentParser
import Logging
import ServiceLifecycle
import TickerServer

/// A ``TickerServer`` running inside this process on a free loopback port: what `demo` and `compare` start when no
/// server is given.
struct EmbeddedServer {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Starts `server` (configured with port 0) and returns once it listens.
    static func start(_ server: TickerServer, logger: Logger) async throws -> EmbeddedServer {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(services: try server.makeServices { portContinuation.yield($0) }, logger: logger)
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try? await task.value
            throw ValidationError("the in-process server could not start on 127.0.0.1")
        }
        return EmbeddedServer(port: port, group: group, task: task)
    }

    /// Shuts the server down gracefully (clients get 1001) and waits for it.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
