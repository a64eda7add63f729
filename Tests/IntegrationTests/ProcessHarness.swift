import Foundation

/// A long-running child process whose standard output is read line by line, each wait bounded.
final class ChildProcess {
    let process = Process()
    private var lines: AsyncStream<String>.Iterator
    private let continuation: AsyncStream<String>.Continuation
    private var exits: AsyncStream<Int32>.Iterator

    var pid: Int32 { process.processIdentifier }

    /// Starts `executable` from the temporary directory, with `environment` if given (else this process's).
    init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        if let environment { process.environment = environment }
        let exited = AsyncStream.makeStream(of: Int32.self)
        exits = exited.stream.makeAsyncIterator()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = stream.makeAsyncIterator()
        self.continuation = continuation
        let handle = output.fileHandleForReading
        Thread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 10) {
                    continuation.yield(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer = Data(buffer[buffer.index(after: newline)...])
                }
            }
            continuation.finish()
        }.start()
        try process.run()
    }

    /// The next line that satisfies `matches`, waiting at most `timeout`; the process is killed if it takes longer.
    func line(within timeout: Duration = .seconds(20), _ what: String, where matches: (String) -> Bool) async throws -> String {
        let process = self.process
        let watchdog = Task {
            if (try? await Task.sleep(for: timeout)) != nil, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        }
        defer { watchdog.cancel() }
        while let line = await lines.next() {
            if matches(line) { return line }
        }
        throw TestFailure("\(what): the output ended first")
    }

    /// The exit status, waiting at most `timeout` (then the process is killed).
    func exitStatus(within timeout: Duration = .seconds(20)) async -> Int32? {
        let process = self.process
        let watchdog = Task {
            if (try? await Task.sleep(for: timeout)) != nil, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        }
        defer { watchdog.cancel() }
        return await exits.next()
    }

    func kill(signal: Int32 = SIGKILL) {
        if process.isRunning { Foundation.kill(pid, signal) }
    }

    deinit { kill() }
}
