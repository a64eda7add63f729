import Foundation

/// Runs a program to completion and collects what it printed. A program still running after `timeout` is killed
/// (SIGKILL: a signal it could trap, such as SIGTERM, would let a hung run end "successfully") and the run throws, so a
/// flag that should have ended it (`--count`, `--duration`) is seen to have failed.
struct BinaryRun {
    var status: Int32
    var stdout: String
    var stderr: String
    /// From start to exit.
    var elapsed: Duration

    static func ticker(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> BinaryRun {
        try await run(try TickerBinary.url(), arguments, timeout: timeout)
    }

    /// Runs a program found on `PATH` (CI installs the ones the tests use).
    static func program(_ name: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> BinaryRun {
        try await run(try locate(name), arguments, timeout: timeout)
    }

    /// A program on `PATH` (CI installs the ones the tests use).
    static func locate(_ name: String) throws -> URL {
        if name.hasPrefix("/") { return URL(fileURLWithPath: name) }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        guard let path else { throw TestFailure("\(name) is not installed (.ci/run installs it)") }
        return path
    }

    private static func run(_ executable: URL, _ arguments: [String], timeout: Duration) async throws -> BinaryRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let exited = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        let collected = AsyncStream.makeStream(of: (Int, Data).self)
        for (index, pipe) in [out, err].enumerated() {
            Thread {
                collected.continuation.yield((index, pipe.fileHandleForReading.readDataToEndOfFile()))
            }.start()
        }
        let started = ContinuousClock.now
        try process.run()
        let watchdog = Task {
            guard (try? await Task.sleep(for: timeout)) != nil, process.isRunning else { return false }
            kill(process.processIdentifier, SIGKILL)
            return true
        }
        var statuses = exited.stream.makeAsyncIterator()
        let status = await statuses.next() ?? -1
        let elapsed = ContinuousClock.now - started
        watchdog.cancel()
        var outputs = ["", ""]
        var iterator = collected.stream.makeAsyncIterator()
        for _ in 0..<2 {
            guard let (index, data) = await iterator.next() else { break }
            outputs[index] = String(decoding: data, as: UTF8.self)
        }
        if await watchdog.value {
            throw TestFailure(
                "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not end by itself within \(timeout); "
                    + "it printed:\n\(outputs[0].suffix(2000))\n\(outputs[1].suffix(2000))")
        }
        return BinaryRun(status: status, stdout: outputs[0], stderr: outputs[1], elapsed: elapsed)
    }
}
