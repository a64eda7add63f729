/// The result of one `ticker bench` run; also its `--format json` output.
public struct BenchReport: Sendable, Hashable, Codable {
    /// Latency percentiles in milliseconds.
    public struct Percentiles: Sendable, Hashable, Codable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
    }

    public var label: String
    public var url: String
    /// Clients asked for, and connected when the window opened.
    public var clients: Int
    public var connected: Int
    public var connectErrors: Int
    public var firstConnectError: String?
    /// Time from starting the TCP connect to the 101, in milliseconds.
    public var connectMs: Percentiles
    public var subscribed: Bool
    public var warmupSeconds: Double
    public var durationSeconds: Double
    /// Ticks the feed produced per second during the window (from the seqs seen).
    public var ticksPerSecond: Double
    /// `quotes` frames delivered per second, and what the feed produced for the connected clients.
    public var framesPerSecond: Double
    public var expectedFramesPerSecond: Double
    public var quotesPerSecond: Double
    /// Frames received ÷ (connected clients × ticks produced), over the ticks produced in the window (their frames may
    /// arrive up to a second after it).
    public var deliveryRatio: Double
    /// Quotes received ÷ quotes produced for every connected client, over the same ticks.
    public var quoteDeliveryRatio: Double
    /// Ticks the server folded into later frames (`"conflated"`), and seq jumps seen by clients.
    public var conflatedTicks: Int
    public var seqGaps: Int
    public var seqErrors: Int
    /// Connections that ended before the run did.
    public var disconnects: Int
    /// Receive time minus the frame's `ts`, over every frame in the window.
    public var latencyMs: Percentiles
    public var latencySamples: Int
    /// Whether the clients offered `permessage-deflate`, how many connections agreed to it, and how many of the
    /// window's `quotes` frames came compressed (RSV1).
    public var compressionOffered: Bool
    public var compressingConnections: Int
    public var compressedFrames: Int
    /// Frames that broke the protocol: compressed without the extension, or not inflating.
    public var protocolErrors: Int
    /// Bytes on the wire (frame headers and payloads) per quote delivered in the window, and the same quotes' bytes as
    /// JSON (the messages inflated).
    public var wireBytesPerQuote: Double
    public var messageBytesPerQuote: Double
    /// Bytes on the wire per second for one client.
    public var wireBytesPerSecondPerClient: Double
    public var serverPid: Int32?
    /// The server's CPU over the window, percent of one core (all threads).
    public var serverCpuPercent: Double?
    /// The server's resident memory before any client connected and at the end of the window.
    public var serverRssBaselineMiB: Double?
    public var serverRssMiB: Double?
    /// (resident memory at the window − before connecting) ÷ connected clients.
    public var serverRssPerConnectionKiB: Double?
    /// This load generator's CPU over the window, percent of one core, with its event-loop threads.
    public var loadGeneratorCpuPercent: Double
    public var loadGeneratorThreads: Int
    /// True when the load generator used at least 90 % of its threads' capacity: then it, not the server, is the limit.
    public var loadGeneratorSaturated: Bool
    /// The whole machine's busy CPU, percent of one core (200 = both cores of two).
    public var hostCpuBusyPercent: Double?
}
