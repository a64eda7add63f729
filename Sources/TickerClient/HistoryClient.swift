import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import TickerCore

/// Fetches a symbol's recent ticks from the server the feed comes from: `GET /api/history?symbol=S&points=N` on the
/// WebSocket URL's host and port (`https` for `wss`), with the feed's headers (its token) and TLS trust.
public struct HistoryClient: Sendable {
    public let url: WebSocketURL
    public let headers: [(String, String)]
    public let tls: TLSConfiguration?

    public init(url: WebSocketURL, headers: [(String, String)] = [], tls: TLSConfiguration? = nil) {
        self.url = url
        self.headers = headers
        self.tls = tls
    }

    /// The history of the feed a ``FeedClient`` with `configuration` follows.
    public init(_ configuration: FeedClient.Configuration) {
        self.init(url: configuration.url, headers: configuration.headers, tls: configuration.tls)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The symbol's last `points` changes, oldest first. Throws with a readable message on any failure.
    public func fetch(symbol: String, points: Int? = nil) async throws -> [PriceHistory.Point] {
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        var query = "symbol=\(symbol.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? symbol)"
        if let points { query += "&points=\(points)" }
        // A token given in the WebSocket URL's query goes along the same way.
        if let token = url.target.split(separator: "?").dropFirst().first?.split(separator: "&").first(where: { $0.hasPrefix("token=") }) {
            query += "&\(token)"
        }
        var request = HTTPClientRequest(url: "\(url.secure ? "https" : "http")://\(host):\(url.port)/api/history?\(query)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        guard let tls else { return try await Self.execute(request, on: HTTPClient.shared) }
        // A client of its own for a certificate authority of its own.
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let points = try await Self.execute(request, on: client)
            try await client.shutdown()
            return points
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func execute(_ request: HTTPClientRequest, on client: HTTPClient) async throws -> [PriceHistory.Point] {
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 8 << 20)
        guard response.status == .ok else {
            throw Failure(description: "GET /api/history answered \(response.status.code): \(String(buffer: body).prefix(200))")
        }
        return try decode(Data(body.readableBytesView))
    }

    /// The `points` of an `/api/history` answer.
    static func decode(_ data: Data) throws -> [PriceHistory.Point] {
        struct Answer: Decodable {
            struct Point: Decodable {
                var seq: UInt64
                var ts: Int64
                var price: Double
                var volume: Int64
            }
            var points: [Point]
        }
        return try JSONDecoder().decode(Answer.self, from: data).points.map {
            PriceHistory.Point(seq: $0.seq, ts: $0.ts, price: Hundredths(rounding: $0.price), volume: $0.volume)
        }
    }
}
