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
            return json(quotesBody(fanOut.currentQuotes(query.symbols)))
        }
        router.get("/api/quotes/poll") { request, _ in
            let query = try parse(request)
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
            guard fanOut.openStream() else { return AccessMiddleware<BasicRequestContext>.refuse(.full) }
            return ServerSentEvents(fanOut: fanOut).response(
                symbols: query.symbols, lastEventID: request.headers[HTTPField.Name("Last-Event-ID")!])
        }
        router.get("/healthz") { _, _ in health() }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: ServerMetrics.registry.emitToBuffer())))
        }
    }

    private func parse(_ request: Request) throws -> PollingQuery {
        let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        do {
            return try PollingQuery(parameters: parameters, catalog: fanOut.catalog, limits: fanOut.configuration.pollLimits)
        } catch {
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("error")
            writer.string("bad_parameter")
            writer.key("parameter")
            writer.string(error.parameter)
            writer.key("message")
            writer.string(error.message)
            writer.endObject()
            throw BadRequest(body: writer.bytes)
        }
    }

    /// 503 with `Retry-After`: the server already holds `maxConcurrentLongPolls` long polls.
    private func tooManyLongPolls() -> Response {
        let limit = fanOut.configuration.maxConcurrentLongPolls
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string("too_many_long_polls")
        writer.key("message")
        writer.string("this server answers at most \(limit) long polls at once; retry shortly")
        writer.endObject()
        var response = json(writer.bytes, status: .serviceUnavailable)
        response.headers[.retryAfter] = "1"
        return response
    }

    private func quotesBody(_ snapshot: FanOut.QuoteSnapshot) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + snapshot.quotes.count * 200)
        writer.beginObject()
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

    private func health() -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("status")
        writer.string("ok")
        writer.key("seq")
        writer.integer(fanOut.seq)
        writer.key("connections")
        writer.integer(fanOut.connectionCount)
        writer.key("sessions")
        writer.integer(fanOut.metrics.stats.sessions.load(ordering: .relaxed))
        let waiters = fanOut.httpWaiters
        writer.key("streams")
        writer.integer(waiters.streams)
        writer.key("longPolls")
        writer.integer(waiters.longPolls)
        writer.key("uptimeMs")
        writer.integer((ContinuousClock.now - startedAt).milliseconds)
        writer.endObject()
        return json(writer.bytes)
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
