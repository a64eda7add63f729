import Foundation

/// Runs a program to completion (killed after `timeout`) and collects what it printed.
struct BinaryRun {
    var status: Int32
    var stdout: String
    var stderr: String

    static func ticker(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> BinaryRun {
        try await run(try TickerBinary.url(), arguments, timeout: timeout)
    }

    /// Runs a program found on `PATH` (CI installs the ones the tests use).
    static func program(_ name: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> BinaryRun {
        try await run(try locate(name), arguments, timeout: timeout)
    }

    /// A program on `PATH` (CI installs the ones the tests use).
    static func locate(_ name: String) throws -> URL {
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
        try process.run()
        let watchdog = Task {
            if (try? await Task.sleep(for: timeout)) != nil { process.terminate() }
        }
        defer { watchdog.cancel() }
        var statuses = exited.stream.makeAsyncIterator()
        let status = await statuses.next() ?? -1
        var outputs = ["", ""]
        var iterator = collected.stream.makeAsyncIterator()
        for _ in 0..<2 {
            guard let (index, data) = await iterator.next() else { break }
            outputs[index] = String(decoding: data, as: UTF8.self)
        }
        return BinaryRun(status: status, stdout: outputs[0], stderr: outputs[1])
    }
}
