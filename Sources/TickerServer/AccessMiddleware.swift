import Hummingbird
import TickerCore

/// Applies the ``AccessPolicy`` to the data endpoints (`/api/...`): 403 for a refused Origin, 401 for a missing or
/// wrong token, as JSON naming the problem. The page, `/healthz` and `/metrics` stay open (the page itself needs the
/// token to connect; health checks and scrapers do not).
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: AccessPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/"), let refusal = policy.check(headers: request.headers, target: request.uri.description)
        else { return try await next(request, context) }
        return Self.refuse(refusal)
    }

    /// The HTTP answer to a refusal.
    static func refuse(_ refusal: AccessPolicy.Refusal) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string(refusal.errorName)
        writer.key("message")
        writer.string(refusal.reason)
        writer.endObject()
        var response = json(writer.bytes, status: refusal.status)
        if refusal == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}
