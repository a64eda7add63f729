import Foundation

/// A `ticker serve` started as a separate process, so a benchmark measures the server's CPU and memory alone.
final class ServerProcess {
    let process: Process
    let port: Int

    var pid: Int32 { process.processIdentifier }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts this executable's `serve` on a free loopback port with `arguments`, and waits (at most 30 s) for the line
    /// that says where it listens.
    static func start(arguments: [String]) async throws -> ServerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let lines = AsyncStream<String> { continuation in
            output.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                if data.isEmpty {
                    handle.readabilityHandler = nil
                    continuation.finish()
                } else {
                    continuation.yield(String(decoding: data, as: UTF8.self))
                }
            }
        }
        let port = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                var text = ""
                for await chunk in lines {
                    text += chunk
                    if let range = text.range(of: #"ws://127\.0\.0\.1:[0-9]+/"#, options: .regularExpression) {
                        return Int(text[range].dropFirst("ws://127.0.0.1:".count).dropLast())
                    }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let port else {
            process.terminate()
            throw Failure(description: "the server did not report a listening port within 30 s")
        }
        return ServerProcess(process: process, port: port)
    }

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// SIGTERM (graceful: every client gets 1001), then SIGKILL if it has not exited within 5 s.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
