import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus
import Synchronization
import TickerCore

/// The HTTP side: the same data as the WebSocket, by polling and long polling, plus the page, health and metrics.
struct HTTPRoutes {
    let fanOut: FanOut
    let startedAt: ContinuousClock.Instant

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/symbols") { _, _ in symbols() }
        router.get("/api/quotes") { request, _ in
            let query = try parse(request)
            if let refusal = noFeedYet() { return refusal }
            return json(quotesBody(fanOut.currentQuotes(query.symbols)))
        }
        router.get("/api/quotes/poll") { request, _ in
            let query = try parse(request)
            if let refusal = noFeedYet() { return refusal }
            // A position from another epoch is not one of this history's: the full current state, at once.
            if let epoch = query.sinceEpoch, epoch != fanOut.epoch { return json(quotesBody(fanOut.currentQuotes(query.symbols))) }
            guard fanOut.admitLongPoll() else { return tooManyLongPolls() }
            defer { fanOut.finishLongPoll() }
            guard
                let snapshot = await fanOut.longPoll(
                    symbols: query.symbols, since: query.since, timeout: .milliseconds(query.timeoutMs))
            else { return Response(status: .noContent) }
            return json(quotesBody(snapshot))
        }
        router.get("/api/quotes/stream") { request, _ in
            let query = try parse(request)
            if let refusal = noFeedYet() { return refusal }
            guard fanOut.openStream() else { return AccessMiddleware<BasicRequestContext>.refuse(.full) }
            return ServerSentEvents(fanOut: fanOut).response(
                symbols: query.symbols, lastEventID: request.headers[HTTPField.Name("Last-Event-ID")!])
        }
        router.get("/api/history") { request, _ in
            let query = try parseHistory(request)
            if let refusal = noFeedYet() { return refusal }
            return json(historyBody(query))
        }
        router.get("/healthz") { _, _ in health() }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = fanOut.metrics.exposition(tally: await fanOut.tally(), feed: fanOut.feedStatus, node: fanOut.node)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.get(RouterPath(TickerProtocol.path)) { request, _ in webSocketEndpointWithoutUpgrade(request) }
    }

    private func parse(_ request: Request) throws -> PollingQuery {
        do {
            return try PollingQuery(query: request.uri.queryParameters, catalog: fanOut.catalog, limits: fanOut.configuration.pollLimits)
        } catch {
            throw badParameter(error)
        }
    }

    private func parseHistory(_ request: Request) throws -> HistoryQuery {
        do {
            return try HistoryQuery(
                parameters: request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) },
                catalog: fanOut.catalog, depth: fanOut.configuration.historyDepth)
        } catch {
            throw badParameter(error)
        }
    }

    /// A 400 naming the bad parameter: `{"error":"bad_parameter","parameter":..,"message":..}`.
    private func badParameter(_ problem: PollingQuery.Problem) -> BadRequest {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string("bad_parameter")
        writer.key("parameter")
        writer.string(problem.parameter)
        writer.key("message")
        writer.string(problem.message)
        writer.endObject()
        return BadRequest(body: writer.bytes)
    }

    /// `{"symbol":"AAPL","seq":N,"points":[{"seq":S,"ts":T,"price":P,"volume":V},...]}`, oldest first.
    private func historyBody(_ query: HistoryQuery) -> [UInt8] {
        let (seq, points) = fanOut.history(of: query.symbol, last: query.points)
        var writer = JSONWriter(capacity: 64 + points.count * 72)
        writer.beginObject()
        writer.key("symbol")
        writer.string(fanOut.catalog.symbols[query.symbol].symbol)
        writer.key("seq")
        writer.integer(seq)
        writer.key("points")
        writer.beginArray()
        for point in points {
            writer.beginObject()
            writer.key("seq")
            writer.integer(point.seq)
            writer.key("ts")
            writer.integer(point.ts)
            writer.key("price")
            writer.number(point.price)
            writer.key("volume")
            writer.integer(point.volume)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// 503 with `Retry-After`: the server already holds `maxConcurrentLongPolls` long polls.
    private func tooManyLongPolls() -> Response {
        let limit = fanOut.configuration.maxConcurrentLongPolls
        return retryLater(error: "too_many_long_polls", message: "this server answers at most \(limit) long polls at once; retry shortly")
    }

    /// `503` with `Retry-After: 1` and `{"error":...,"message":...}`.
    private func retryLater(error: String, message: String) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string(error)
        writer.key("message")
        writer.string(message)
        writer.endObject()
        var response = json(writer.bytes, status: .serviceUnavailable)
        response.headers[.retryAfter] = "1"
        return response
    }

    private func quotesBody(_ snapshot: FanOut.QuoteSnapshot) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + snapshot.quotes.count * 200)
        writer.beginObject()
        writer.key("epoch")
        writer.string(fanOut.epoch)
        writer.key("seq")
        writer.integer(snapshot.seq)
        writer.key("ts")
        writer.integer(snapshot.ts)
        writer.key("quotes")
        writer.beginArray()
        for quote in snapshot.quotes { quote.write(to: &writer) }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// `GET /ws` without a WebSocket handshake (a browser tab, curl): `426 Upgrade Required` saying what to send; an
    /// incomplete handshake (an `Upgrade` header but no `Connection: Upgrade`) is a 400.
    private func webSocketEndpointWithoutUpgrade(_ request: Request) -> Response {
        let incomplete = request.headers[.upgrade] != nil
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string("upgrade_required")
        writer.key("message")
        writer.string(
            incomplete
                ? "a WebSocket handshake needs Connection: Upgrade as well as Upgrade: websocket"
                : "\(TickerProtocol.path) is the WebSocket endpoint: send a GET with Upgrade: websocket, Connection: Upgrade, "
                    + "Sec-WebSocket-Version: 13, a Sec-WebSocket-Key and Sec-WebSocket-Protocol: \(TickerProtocol.name)")
        writer.key("path")
        writer.string(TickerProtocol.path)
        writer.key("supportedProtocols")
        writer.beginArray()
        writer.string(TickerProtocol.name)
        writer.endArray()
        writer.endObject()
        var response = json(writer.bytes, status: incomplete ? .badRequest : .upgradeRequired)
        response.headers[.upgrade] = "websocket"
        response.headers[.secWebSocketVersion] = "13"
        return response
    }

    private func symbols() -> Response {
        var writer = JSONWriter(capacity: 100 * fanOut.catalog.count)
        writer.beginObject()
        writer.key("simulated")
        writer.boolean(true)
        writer.key("symbols")
        writer.beginArray()
        for info in fanOut.catalog.symbols {
            writer.beginObject()
            writer.key("symbol")
            writer.string(info.symbol)
            writer.key("name")
            writer.string(info.name)
            writer.key("sector")
            writer.string(info.sector)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return json(writer.bytes)
    }

    /// An edge that has not had a tick from its feed has no quotes to serve: `503` with `Retry-After`, not made-up data.
    private func noFeedYet() -> Response? {
        guard !fanOut.feedStatus.hasFeed else { return nil }
        return retryLater(error: "no_feed_yet", message: "this edge has not received a tick from its feed yet; try again shortly")
    }

    /// 503 when this server cannot reach its feed's broker, or has never had a tick (so a balancer sends new clients
    /// elsewhere); 200 otherwise, even while the feed is silent (`lagMs` grows), so that a database without a
    /// publishing feed does not take every edge out at once.
    private func health() -> Response {
        let feed = fanOut.feedStatus
        let healthy = feed.connected && feed.hasFeed
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("status")
        writer.string(healthy ? "ok" : "unavailable")
        writer.key("epoch")
        writer.string(fanOut.epoch)
        writer.key("seq")
        writer.integer(fanOut.seq)
        writer.key("node")
        writer.string(fanOut.node)
        writer.key("connections")
        writer.integer(fanOut.connectionCount)
        writer.key("sessions")
        writer.integer(fanOut.channelCount)
        let waiters = fanOut.httpWaiters
        writer.key("streams")
        writer.integer(waiters.streams)
        writer.key("longPolls")
        writer.integer(waiters.longPolls)
        writer.key("uptimeMs")
        writer.integer((ContinuousClock.now - startedAt).milliseconds)
        writer.key("feed")
        writer.beginObject()
        writer.key("connected")
        writer.boolean(feed.connected)
        writer.key("seq")
        writer.integer(feed.seq)
        writer.key("epoch")
        writer.string(feed.epoch)
        writer.key("lagMs")
        if let lag = feed.lagMs { writer.integer(lag) } else { writer.null() }
        if !healthy {
            writer.key("problem")
            writer.string(feed.problem ?? (feed.connected ? "no tick from the feed yet" : "the feed's database is not reachable yet"))
        }
        writer.endObject()
        writer.endObject()
        return json(writer.bytes, status: healthy ? .ok : .serviceUnavailable)
    }
}

/// A 400 whose body is the JSON naming the bad parameter.
struct BadRequest: HTTPResponseError {
    let body: [UInt8]
    var status: HTTPResponse.Status { .badRequest }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        json(body, status: .badRequest)
    }
}

func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    headers[.cacheControl] = "no-store"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}
