import Foundation

/// Runs the built `ticker` binary to completion (killed after `timeout`) and collects what it printed.
struct BinaryRun {
    var status: Int32
    var stdout: String
    var stderr: String

    static func ticker(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> BinaryRun {
        let process = Process()
        process.executableURL = try TickerBinary.url()
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
