import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TickerClient
import TickerCompare
import TickerCore

/// The tour's HTTP side: GETs to the server the tour watches, through a ``CountingProxy`` so that every request and
/// answer is measured in bytes as they crossed the wire (request line, headers and body, both ways).
final class TourHTTP: Sendable {
    struct Response: Sendable {
        var status: Int
        var body: Data
        var bytesUp: Int
        var bytesDown: Int
    }

    private let proxy: CountingProxy?
    private let base: String

    private init(proxy: CountingProxy?, base: String) {
        self.proxy = proxy
        self.base = base
    }

    /// Over `wss://` the proxy cannot be used (the certificate names the server, not the proxy): bytes are then the
    /// HTTP message's, without TLS's framing.
    static func start(for url: WebSocketURL) async throws -> TourHTTP {
        if url.secure { return TourHTTP(proxy: nil, base: "https://\(url.hostHeader)") }
        let proxy = try await CountingProxy.start(targetHost: url.host, targetPort: url.port)
        return TourHTTP(proxy: proxy, base: "http://127.0.0.1:\(proxy.port)")
    }

    func stop() async { await proxy?.stop() }

    /// GETs `path`; `timeout` bounds the whole exchange.
    func get(_ path: String, timeout: TimeAmount = .seconds(70)) async throws -> Response {
        let upBefore = proxy?.counters.bytesUp.load(ordering: .relaxed) ?? 0
        let downBefore = proxy?.counters.bytesDown.load(ordering: .relaxed) ?? 0
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + path), timeout: timeout)
        let body = Data(try await response.body.collect(upTo: 1 << 24).readableBytesView)
        guard let proxy else {
            let head = response.headers.map { "\($0.name): \($0.value)\r\n" }.joined()
            return Response(
                status: Int(response.status.code), body: body, bytesUp: "GET \(path) HTTP/1.1\r\n\r\n".utf8.count,
                bytesDown: "HTTP/1.1 \(response.status)\r\n\(head)\r\n".utf8.count + body.count)
        }
        // The proxy counts bytes before it forwards them, so everything this exchange moved is counted by now.
        // The chapters' requests are sequential, so the difference is this exchange's alone.
        return Response(
            status: Int(response.status.code), body: body, bytesUp: proxy.counters.bytesUp.load(ordering: .relaxed) - upBefore,
            bytesDown: proxy.counters.bytesDown.load(ordering: .relaxed) - downBefore)
    }
}
