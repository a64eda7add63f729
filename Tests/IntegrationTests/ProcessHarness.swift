import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TickerClient

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
        // One status, then the end: asking again after the exit returns nil at once rather than waiting forever.
        process.terminationHandler = {
            exited.continuation.yield($0.terminationStatus)
            exited.continuation.finish()
        }
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

/// `ticker serve --port 0` as a separate process, for what only the binary shows (its `/metrics`, its signals).
struct BinaryServer {
    let process: ChildProcess
    let port: Int
    /// What it printed when it started listening.
    let banner: String
    var http: String { "http://127.0.0.1:\(port)" }

    /// Starts the binary with `arguments` after `serve --port 0` and waits (bounded) for the URL it prints.
    static func start(_ arguments: [String], environment: [String: String]? = nil) async throws -> BinaryServer {
        let process = try ChildProcess(try TickerBinary.url(), ["serve", "--port", "0"] + arguments, environment: environment)
        let line = try await process.line("the server's URL") { $0.contains("ws://") }
        guard let url = line.split(separator: " ").first(where: { $0.hasPrefix("ws://") }),
            let port = url.split(separator: ":").last?.split(separator: "/").first.flatMap({ Int($0) })
        else { throw TestFailure("no port in \(line)") }
        return BinaryServer(process: process, port: port, banner: line)
    }

    func connect(symbols query: String = "") async throws -> TestSocket {
        let connection = try await WebSocketConnection.connect(to: try WebSocketURL("ws://127.0.0.1:\(port)/ws\(query)"))
        return TestSocket(connection: connection, timeout: .seconds(20))
    }

    func get(_ path: String) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: http + path)
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 4 << 20)))
    }

    /// SIGTERM, then the exit status (bounded; killed if it takes longer).
    @discardableResult
    func stop(signal: Int32 = SIGTERM, within timeout: Duration = .seconds(10)) async -> Int32? {
        process.kill(signal: signal)
        return await process.exitStatus(within: timeout)
    }
}
