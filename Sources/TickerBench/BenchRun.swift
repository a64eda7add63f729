import Foundation
import Histogram
import NIOCore
import NIOPosix
import NIOWebSocket
import TickerClient
import TickerCore

/// A fan-out load test: opens many WebSocket clients at a bounded rate, subscribes them, lets the feed warm up, then
/// measures delivery and latency for a fixed window. Bounded in count (`clients`) and time (ramp deadline, warm-up,
/// window); loopback addresses only.
public struct BenchRun: Sendable {
    public struct Options: Sendable {
        public var url: WebSocketURL
        public var clients = 1000
        /// Connections opened per second.
        public var rampPerSecond = 1000.0
        /// Handshakes in flight at once.
        public var maxInFlight = 200
        public var warmup: Duration = .seconds(5)
        public var duration: Duration = .seconds(15)
        /// The `subscribe` message to send after the welcome; nil leaves connections idle.
        public var subscribe: String? = #"{"type":"subscribe","symbols":["*"]}"#
        /// Offer `permessage-deflate` in every upgrade.
        public var compression = true
        public var serverPid: Int32?
        public var threads = 2
        public var label = "ticker"

        public init(url: WebSocketURL) { self.url = url }
    }

    /// What the progress line shows.
    public enum Progress: Sendable {
        case connecting(done: Int, errors: Int, total: Int)
        case warmingUp(connected: Int, framesPerSecond: Double)
        case measuring(elapsed: Double, of: Double, connected: Int, framesPerSecond: Double, p99Ms: Double, serverCpuPercent: Double?)
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public var options: Options

    public init(options: Options) { self.options = options }

    public func run(progress: @escaping @Sendable (Progress) -> Void) async throws -> BenchReport {
        guard ["127.0.0.1", "localhost", "::1"].contains(options.url.host) else {
            throw Failure(description: "ticker bench only loads loopback servers (127.0.0.1), not \(options.url.host)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        var tallies: [NIOLoopBound<LoopTally>] = []
        for loop in group.makeIterator() {
            tallies.append(try await loop.submit { NIOLoopBound(LoopTally(), eventLoop: loop) }.get())
        }
        let phase = BenchPhase()
        let rssBaseline = ProcessSample.read(pid: options.serverPid)?.residentBytes
        var channels: [any Channel] = []
        let outcome: Result<BenchReport, any Error>
        do {
            let ramp = try await connectAll(tallies: tallies, phase: phase, progress: progress)
            channels = ramp.channels
            outcome = .success(
                try await measure(ramp: ramp, tallies: tallies, phase: phase, rssBaseline: rssBaseline, progress: progress))
        } catch {
            outcome = .failure(error)
        }
        phase.set(.finished)
        await closeAll(channels)
        try? await group.shutdownGracefully()
        return try outcome.get()
    }

    private func measure(
        ramp: Ramp, tallies: [NIOLoopBound<LoopTally>], phase: BenchPhase, rssBaseline: Int?,
        progress: @escaping @Sendable (Progress) -> Void
    ) async throws -> BenchReport {
        guard !ramp.channels.isEmpty else {
            throw Failure(description: "no client could connect to \(options.url): \(ramp.firstError ?? "unknown error")")
        }

        // Warm-up: the feed and the connections settle; nothing is counted.
        let warmupEnd = ContinuousClock.now + options.warmup
        var last = try await merged(tallies)
        var lastAt = ContinuousClock.now
        while ContinuousClock.now < warmupEnd {
            try await Task.sleep(until: min(warmupEnd, .now + .seconds(1)))
            let now = try await merged(tallies)
            let rate = Double(now.framesTotal - last.framesTotal) / max((ContinuousClock.now - lastAt).seconds, 0.001)
            progress(.warmingUp(connected: ramp.channels.count - now.disconnects, framesPerSecond: rate))
            (last, lastAt) = (now, .now)
        }

        // The window.
        let connected = ramp.channels.count - (try await merged(tallies)).disconnects
        let serverStart = ProcessSample.read(pid: options.serverPid)
        let selfStart = ProcessSample.read(pid: nil)
        let hostStart = HostSample.read()
        let windowStart = ContinuousClock.now
        phase.set(.measuring)
        let windowEnd = windowStart + options.duration
        while ContinuousClock.now < windowEnd {
            try await Task.sleep(until: min(windowEnd, .now + .seconds(1)))
            let now = try await merged(tallies)
            let elapsed = (ContinuousClock.now - windowStart).seconds
            let cpu = serverStart.flatMap { start in ProcessSample.read(pid: options.serverPid)?.cpuPercent(since: start) }
            progress(
                .measuring(
                    elapsed: elapsed, of: options.duration.seconds, connected: connected - now.disconnects,
                    framesPerSecond: Double(now.frames) / max(elapsed, 0.001),
                    p99Ms: Double(now.latency.valueAtPercentile(99)) / 1000, serverCpuPercent: cpu))
        }
        let windowSeconds = (ContinuousClock.now - windowStart).seconds
        let serverEnd = ProcessSample.read(pid: options.serverPid)
        let selfEnd = ProcessSample.read(pid: nil)
        let hostEnd = HostSample.read()
        // A grace second for the frames of the window's last ticks that are still on their way.
        phase.startGrace(lastSeq: try await merged(tallies).ticks.keys.max() ?? 0)
        try await Task.sleep(for: .seconds(1))
        phase.set(.finished)
        let tally = try await merged(tallies)
        return report(
            tally: tally, ramp: ramp, connected: connected, windowSeconds: windowSeconds, rssBaseline: rssBaseline,
            server: (serverStart, serverEnd), this: (selfStart, selfEnd), host: (hostStart, hostEnd))
    }

    struct Ramp {
        var channels: [any Channel] = []
        var errors = 0
        var firstError: String?
        var connectTimes = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Opens `clients` connections at `rampPerSecond`, at most `maxInFlight` handshakes at once, three tries each.
    private func connectAll(
        tallies: [NIOLoopBound<LoopTally>], phase: BenchPhase, progress: @escaping @Sendable (Progress) -> Void
    ) async throws -> Ramp {
        let options = options
        let start = ContinuousClock.now
        let deadline = start + .seconds(Double(options.clients) / options.rampPerSecond + 60)
        return try await withThrowingTaskGroup(of: Result<(any Channel, Duration), any Error>.self) { group in
            var ramp = Ramp()
            var inFlight = 0
            var lastProgress = ContinuousClock.now
            func collect(_ result: Result<(any Channel, Duration), any Error>) {
                inFlight -= 1
                switch result {
                case .success(let (channel, elapsed)):
                    ramp.channels.append(channel)
                    _ = ramp.connectTimes.record(UInt64(max(0, elapsed.seconds * 1_000_000)))
                case .failure(let error):
                    ramp.errors += 1
                    if ramp.firstError == nil { ramp.firstError = "\(error)" }
                }
                if ContinuousClock.now - lastProgress > .milliseconds(250) {
                    lastProgress = .now
                    progress(.connecting(done: ramp.channels.count, errors: ramp.errors, total: options.clients))
                }
            }
            for index in 0..<options.clients {
                guard ContinuousClock.now < deadline else { break }
                let due = start + .seconds(Double(index) / options.rampPerSecond)
                if due > .now { try await Task.sleep(until: due) }
                while inFlight >= options.maxInFlight, let result = try await group.next() { collect(result) }
                let tally = tallies[index % tallies.count]
                inFlight += 1
                group.addTask {
                    let began = ContinuousClock.now
                    var lastError: any Error = Failure(description: "not tried")
                    for _ in 0..<3 {
                        do {
                            let channel = try await BenchConnection.open(
                                host: options.url.host, port: options.url.port, target: options.url.target,
                                subscribe: options.subscribe, compression: options.compression, tally: tally, phase: phase, on: tally.eventLoop,
                                timeout: .seconds(10))
                            return .success((channel, ContinuousClock.now - began))
                        } catch {
                            lastError = error
                        }
                    }
                    return .failure(lastError)
                }
            }
            while let result = try await group.next() { collect(result) }
            progress(.connecting(done: ramp.channels.count, errors: ramp.errors, total: options.clients))
            return ramp
        }
    }

    private func merged(_ tallies: [NIOLoopBound<LoopTally>]) async throws -> TallySnapshot {
        var total = TallySnapshot()
        for tally in tallies {
            total.merge(try await tally.eventLoop.submit { tally.value.snapshot }.get())
        }
        return total
    }

    /// Sends close 1000 to every connection, then closes its socket; waits (at most 10 s) until all are closed.
    private func closeAll(_ channels: [any Channel]) async {
        for channel in channels {
            var body = channel.allocator.buffer(capacity: 2)
            body.writeInteger(UInt16(1000))
            let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: body)
            channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for channel in channels { try? await channel.closeFuture.get() }
            }
            group.addTask { try? await Task.sleep(for: .seconds(10)) }
            await group.next()
            group.cancelAll()
        }
    }

    private func report(
        tally: TallySnapshot, ramp: Ramp, connected: Int, windowSeconds: Double, rssBaseline: Int?,
        server: (ProcessSample?, ProcessSample?), this: (ProcessSample?, ProcessSample?), host: (HostSample?, HostSample?)
    ) -> BenchReport {
        // Ticks produced in the window: drop the first seq seen, whose frames the window's start may have cut; the last
        // ones had the grace second to arrive.
        let seqs = tally.ticks.keys.sorted()
        let inner = seqs.count > 1 ? Array(seqs.dropFirst()) : seqs
        let innerFrames = inner.reduce(0) { $0 + (tally.ticks[$1]?.frames ?? 0) }
        let innerQuotes = inner.reduce(0) { $0 + (tally.ticks[$1]?.quotes ?? 0) }
        let producedQuotes = inner.reduce(0) { $0 + (tally.ticks[$1]?.producedQuotes ?? 0) }
        let ticksPerSecond = Double(seqs.count) / windowSeconds
        let serverCpu = server.0.flatMap { start in server.1?.cpuPercent(since: start) }
        let rss = server.1?.residentBytes
        let selfCpu = this.0.flatMap { start in this.1?.cpuPercent(since: start) } ?? 0
        return BenchReport(
            label: options.label, url: options.url.description, clients: options.clients, connected: connected,
            connectErrors: ramp.errors, firstConnectError: ramp.firstError, connectMs: Self.percentiles(ramp.connectTimes),
            subscribed: options.subscribe != nil, warmupSeconds: options.warmup.seconds, durationSeconds: windowSeconds,
            ticksPerSecond: ticksPerSecond, framesPerSecond: Double(tally.frames) / windowSeconds,
            expectedFramesPerSecond: Double(connected) * ticksPerSecond, quotesPerSecond: Double(tally.quotes) / windowSeconds,
            deliveryRatio: inner.isEmpty || connected == 0 ? 0 : Double(innerFrames) / Double(connected * inner.count),
            quoteDeliveryRatio: producedQuotes == 0 || connected == 0 ? 0 : Double(innerQuotes) / Double(connected * producedQuotes),
            conflatedTicks: tally.conflated, seqGaps: tally.gaps, seqErrors: tally.seqErrors, disconnects: tally.disconnects,
            latencyMs: Self.percentiles(tally.latency), latencySamples: Int(tally.latency.totalCount),
            compressionOffered: options.compression, compressingConnections: tally.compressingConnections,
            compressedFrames: tally.compressedFrames, protocolErrors: tally.protocolErrors,
            wireBytesPerQuote: tally.quotes == 0 ? 0 : Double(tally.wireBytes) / Double(tally.quotes),
            messageBytesPerQuote: tally.quotes == 0 ? 0 : Double(tally.messageBytes) / Double(tally.quotes),
            wireBytesPerSecondPerClient: connected == 0 ? 0 : Double(tally.wireBytes) / windowSeconds / Double(connected),
            serverPid: options.serverPid,
            serverCpuPercent: serverCpu, serverRssBaselineMiB: rssBaseline.map { Double($0) / 1_048_576 },
            serverRssMiB: rss.map { Double($0) / 1_048_576 },
            serverRssPerConnectionKiB: rss.flatMap { rss in
                rssBaseline.map { connected > 0 ? Double(rss - $0) / 1024 / Double(connected) : 0 }
            },
            loadGeneratorCpuPercent: selfCpu, loadGeneratorThreads: options.threads,
            loadGeneratorSaturated: selfCpu >= 90 * Double(options.threads),
            hostCpuBusyPercent: host.0.flatMap { start in host.1?.busyPercent(since: start) })
    }

    private static func percentiles(_ histogram: Histogram<UInt64>) -> BenchReport.Percentiles {
        func ms(_ percentile: Double) -> Double {
            histogram.totalCount == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
        }
        return BenchReport.Percentiles(
            p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: histogram.totalCount == 0 ? 0 : Double(histogram.max) / 1000)
    }
}
