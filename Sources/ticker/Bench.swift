import ArgumentParser
import Foundation
import Synchronization
import TickerBench
import TickerClient

/// `ticker bench`: a fan-out load test of a `ticker serve` it starts (or any server speaking the benchmark subset).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load-test the WebSocket fan-out: N clients, delivery ratio, latency percentiles, server CPU and memory.",
        discussion: """
            By default starts `ticker serve` as a separate process (50 symbols, every symbol every tick, 10 ticks/s) so \
            the server's CPU and memory are its own. With --url, loads any loopback server that speaks the benchmark \
            subset of ticker.v1 (welcome, subscribe "*", quotes with seq and ts); pass --server-pid for its CPU and memory. \
            Clients are ramped at --ramp per second, then --warmup seconds pass before a --duration window is measured. \
            docs/PERFORMANCE.md has the figures and how to reproduce them.
            """)

    @Option(help: "WebSocket clients to open.") var clients = 1000
    @Option(help: "Connections opened per second.") var ramp = 1000.0
    @Option(help: "Seconds after the ramp before measuring.") var warmup = 5.0
    @Option(help: "Seconds to measure.") var duration = 15.0
    @Option(help: "A running loopback server (ws://127.0.0.1:PORT/ws) instead of starting one.") var url: String?
    @Option(help: "The --url server's process id, for its CPU and resident memory.") var serverPid: Int32?
    @Flag(help: "Connect without subscribing: measures idle connections (resident memory per connection).") var idle = false
    @Option(help: "Load-generator event-loop threads.") var threads = 2
    @Option(name: .customLong("tick-ms"), help: "Tick interval of the server it starts.") var tickMs = 100
    @Option(help: "Symbols of the server it starts.") var symbolCount = 50
    @Option(help: "Activity of the server it starts (1 = every symbol every tick).") var activity = 1.0
    @Option(help: "A name for this run in the report.") var label: String?
    @Option(help: "Offer permessage-deflate (on) or not (off), to compare bytes on the wire and server CPU.")
    var compression: OnOff = .on
    @Option(help: "Output: table or json.") var format: ReportFormat = .table

    func validate() throws {
        guard (1...50_000).contains(clients) else { throw ValidationError("--clients must be from 1 to 50000, got \(clients)") }
        guard ramp >= 1, ramp <= 100_000 else { throw ValidationError("--ramp must be from 1 to 100000 connections per second") }
        guard warmup >= 0, warmup <= 600 else { throw ValidationError("--warmup must be from 0 to 600 seconds") }
        guard duration > 0, duration <= 3600 else { throw ValidationError("--duration must be from 0 to 3600 seconds") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be from 1 to 64") }
        if let url {
            let parsed: WebSocketURL
            do { parsed = try WebSocketURL(url) } catch { throw ValidationError("--url: \(error)") }
            guard ["127.0.0.1", "localhost", "::1"].contains(parsed.host) else {
                throw ValidationError("--url must be a loopback address (127.0.0.1): ticker bench never loads another host")
            }
        } else if serverPid != nil {
            throw ValidationError("--server-pid goes with --url; without --url the server bench starts is measured")
        }
    }

    func run() async throws {
        raiseDescriptorLimit()
        var server: ServerProcess?
        let target: WebSocketURL
        if let url {
            target = try WebSocketURL(url)
        } else {
            let started = try await ServerProcess.start(arguments: [
                "--tick-ms", "\(tickMs)", "--symbol-count", "\(symbolCount)", "--activity", "\(activity)",
                "--log-level", "warning",
            ])
            server = started
            target = try WebSocketURL("ws://127.0.0.1:\(started.port)/ws")
        }
        var options = BenchRun.Options(url: target)
        options.clients = clients
        options.rampPerSecond = ramp
        options.warmup = .seconds(warmup)
        options.duration = .seconds(duration)
        options.subscribe = idle ? nil : #"{"type":"subscribe","symbols":["*"]}"#
        options.serverPid = server?.pid ?? serverPid
        options.threads = threads
        options.compression = compression.isOn
        options.label = label ?? (url == nil ? "ticker" : target.description)
        let line = ProgressLine()
        let result: Result<BenchReport, any Error>
        do {
            result = .success(try await BenchRun(options: options).run { line.show(BenchTable.progress($0)) })
        } catch {
            result = .failure(error)
        }
        line.finish()
        await server?.stop()
        let report = try result.get()
        switch format {
        case .table:
            writeLine(BenchTable.final(report))
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            writeLine(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}

/// The live progress line on standard error: redrawn in place on a terminal, one line every 5 s otherwise.
final class ProgressLine: Sendable {
    private let terminal = isatty(STDERR_FILENO) == 1
    private let lastPrinted = Mutex<ContinuousClock.Instant?>(nil)

    func show(_ text: String) {
        if terminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        } else {
            let due = lastPrinted.withLock { last in
                guard last.map({ ContinuousClock.now - $0 >= .seconds(5) }) ?? true else { return false }
                last = .now
                return true
            }
            if due { writeError(text) }
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
