import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on loopback that counts every byte in each direction: how `ticker compare` measures what each style
/// really puts on the wire (HTTP headers, chunked encoding and WebSocket framing included) rather than estimating it.
public final class CountingProxy: Sendable {
    /// What went through, in bytes and connections.
    public final class Counters: Sendable {
        /// From the clients to the server.
        public let bytesUp = Atomic<Int>(0)
        /// From the server to the clients.
        public let bytesDown = Atomic<Int>(0)
        public let connections = Atomic<Int>(0)

        func add(_ bytes: Int, up: Bool) {
            if up { bytesUp.add(bytes, ordering: .relaxed) } else { bytesDown.add(bytes, ordering: .relaxed) }
        }
    }

    public let counters: Counters
    /// The port clients connect to.
    public let port: Int
    private let listener: any Channel

    private init(counters: Counters, listener: any Channel) {
        self.counters = counters
        self.listener = listener
        self.port = listener.localAddress?.port ?? 0
    }

    /// Listens on 127.0.0.1 (a free port) and forwards each connection to `targetHost`:`targetPort`.
    ///
    /// Traffic is forwarded as it arrives, without read pacing: fine for the comparison's small loopback flows, not a
    /// general-purpose proxy.
    public static func start(targetHost: String, targetPort: Int) async throws -> CountingProxy {
        let counters = Counters()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                counters.connections.add(1, ordering: .relaxed)
                return ClientBootstrap(group: inbound.eventLoop).connect(host: targetHost, port: targetPort).flatMap { outbound in
                    // Both channels live on the same event loop, so the handlers can be added synchronously here.
                    inbound.eventLoop.makeCompletedFuture(withResultOf: {
                        try inbound.pipeline.syncOperations.addHandler(GlueHandler(counters: counters, up: true, partner: outbound))
                        try outbound.pipeline.syncOperations.addHandler(GlueHandler(counters: counters, up: false, partner: inbound))
                    }).flatMap {
                        inbound.setOption(ChannelOptions.autoRead, value: true)
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CountingProxy(counters: counters, listener: listener)
    }

    /// Stops accepting connections (open ones end with their peers).
    public func stop() async {
        try? await listener.close()
    }
}

/// One side of a proxied connection: forwards what it reads to the other side, counting it, and closes the other side
/// when its own ends.
final class GlueHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let counters: CountingProxy.Counters
    private let up: Bool
    private let partner: any Channel

    init(counters: CountingProxy.Counters, up: Bool, partner: any Channel) {
        self.counters = counters
        self.up = up
        self.partner = partner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        counters.add(buffer.readableBytes, up: up)
        partner.write(buffer, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
