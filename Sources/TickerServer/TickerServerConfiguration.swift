import NIOCore
import TickerCore

/// Everything `ticker serve` can be told: where to listen, how the feed behaves, and the limits it enforces.
public struct TickerServerConfiguration: Sendable {
    /// Address to bind; loopback by default.
    public var host = "127.0.0.1"
    /// Port to bind; 0 picks a free one.
    public var port = 8080
    /// Wall-clock interval between feed ticks.
    public var tickInterval: Duration = .milliseconds(100)
    /// Probability that a symbol changes in a tick (1.0 = every symbol every tick).
    public var activity = 0.6
    /// How many symbols to simulate; nil = every symbol of the assets. Larger counts add synthetic symbols.
    public var symbolCount: Int?
    /// Seed of the price simulator: the same seed replays the same ticks.
    public var seed: UInt64 = 1
    /// A client that was sent nothing for this long gets a `heartbeat`.
    public var heartbeatInterval: Duration = .seconds(5)
    /// A peer heard nothing from for this long is sent a WebSocket ping (dead-peer detection).
    public var pingInterval: Duration = .seconds(15)
    /// A ping unanswered (nothing at all heard from the peer) for this long closes the connection: 1001 "Ping timeout".
    public var pingTimeout: Duration = .seconds(10)
    /// Largest client message accepted; a bigger one closes the connection with 1009.
    public var maxMessageBytes = 64 * 1024
    /// Client messages allowed per second; one more gets `rate_limited`, then close 1008.
    public var messagesPerSecond = 50
    /// Tick frames a connection may have queued before newer ticks are folded (conflated) into one frame.
    public var outboxTickCapacity = 8
    /// The kernel's send buffer for each WebSocket (`SO_SNDBUF`). It bounds what a stalled client costs in kernel
    /// memory and how much stale data sits ahead of its conflated frame: with Linux's autotuning (up to 4 MiB here) a
    /// client that stops reading would first be sent megabytes of old ticks before conflation started.
    public var socketSendBufferBytes = 256 * 1024
    /// A client whose queue stays full (or whose socket accepts nothing) this long is closed with 1008 "slow consumer".
    public var slowConsumerTimeout: Duration = .seconds(10)
    /// How long a closing socket waits for the peer's close frame, and how long a slow consumer's close frame may
    /// wait behind its unread data before the TCP connection is dropped.
    public var closeTimeout: Duration = .seconds(1)
    /// Long-poll timeout bounds.
    public var pollLimits = PollingQuery.Limits()
    /// For tests: how far ahead of the machine's clock this server's `ts` runs (ticks, pongs, heartbeats), so a
    /// client's clock-offset estimate can be checked against a known offset.
    public var clockSkew: Duration = .zero
    /// The epoch this server's history is named by; nil: a fresh random one per start (a restart is a new history).
    public var epoch: String?
    /// The broker an edge follows (`--database`): no simulator of its own, the feed's ticks from PostgreSQL. Nil: the
    /// simulator runs in this process.
    public var database: DatabaseURL?
    /// This server's name in `welcome` (`--node-name`); nil: the host name and the bound port.
    public var nodeName: String?
    /// The server's time as it writes it in `ts`: microseconds since the epoch, plus ``clockSkew``.
    public var nowMicroseconds: Int64 { WallClock.nowMicroseconds() + clockSkew.microseconds }
    /// Changes kept per symbol for `GET /api/history` (and the most `points` it answers).
    public var historyDepth = 1000
    /// Long polls waiting at once; one more is answered 503 `too_many_long_polls`.
    public var maxConcurrentLongPolls = 1000
    /// Symbols one WebSocket client may be subscribed to (`*` counts every symbol); a `subscribe` that would exceed it
    /// is refused with `too_many_subscriptions` and changes nothing.
    public var maxSubscriptionsPerClient = 10_000
    /// Origin allow-list, token and connection limit (all off by default).
    public var access = AccessPolicy()
    /// Event-loop threads for the sockets; nil uses NIO's shared group (one per core).
    public var eventLoopThreads: Int?
    /// The event loops to serve on, owned by the caller (tests give each server its own); wins over `eventLoopThreads`.
    public var eventLoopGroup: (any EventLoopGroup)?
    /// Largest HTTP request head (request line and headers) accepted; a bigger one is answered 431 and closed.
    public var maxHeaderBytes = 16 * 1024
    /// A connection that has not sent a whole request head this long after connecting (or after its last response) is
    /// closed: a slowloris cannot hold it.
    public var headerTimeout: Duration = .seconds(10)
    /// Accept `permessage-deflate` (RFC 7692) from clients that offer it: each distinct tick frame is compressed once
    /// and shared by every compressing client; off sends every client plain frames.
    public var compression = true
    /// PEM files for TLS (`wss://` and `https://`); nil serves plain `ws://` and `http://`.
    public var tls: TLSFiles?

    /// A certificate chain and its private key, both PEM.
    public struct TLSFiles: Sendable, Hashable {
        public var certificateChainPath: String
        public var privateKeyPath: String
        public init(certificateChainPath: String, privateKeyPath: String) {
            self.certificateChainPath = certificateChainPath
            self.privateKeyPath = privateKeyPath
        }
    }

    public init() {}
}
