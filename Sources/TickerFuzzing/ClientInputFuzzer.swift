import Foundation
import HummingbirdCore
import TickerCore

/// The fuzz target for everything a client can send: a `ticker.v1` message (`ClientMessage.decode`) and the query of
/// the polling and history endpoints (`PollingQuery`, `HistoryQuery`). The first byte picks which; the rest is the input. Each property it checks
/// is a `precondition`, so libFuzzer reports a violated one as a crash, and the regression tests replay the inputs.
public enum ClientInputFuzzer {
    /// A small universe so that valid symbols are reachable by mutation.
    static let catalog: SymbolCatalog = {
        let json =
            #"{"symbols":[{"symbol":"AAPL","name":"Apple","sector":"Tech","referencePrice":190,"annualVolatility":0.3,"annualDrift":0.05},"#
            + #"{"symbol":"MSFT","name":"Microsoft","sector":"Tech","referencePrice":410,"annualVolatility":0.25,"annualDrift":0.05}]}"#
        return try! SymbolCatalog(assetsJSON: Data(json.utf8), count: nil)
    }()
    static let limits = PollingQuery.Limits(defaultTimeoutMs: 25_000, maxTimeoutMs: 60_000)

    /// Runs one input; returns normally unless a property fails.
    public static func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let body = Array(input.dropFirst())
        if selector & 1 == 0 { decodeClientMessage(body) } else { parseQuery(body) }
    }

    /// A message either decodes to one that re-encodes and decodes to itself, or is refused with a code and a reason.
    static func decodeClientMessage(_ bytes: [UInt8]) {
        do {
            let message = try ClientMessage.decode(Data(bytes))
            let again = try? ClientMessage.decode(Data(message.jsonText.utf8))
            precondition(again == message, "\(message) did not survive its own encoding \(message.jsonText)")
        } catch {
            precondition(!error.message.isEmpty, "refusal without a reason for \(bytes)")
        }
    }

    /// A query string (`a=b&c=d`, percent-encoded), split by Hummingbird's own URI parser exactly as the server's routes
    /// split a request's, either parses within the limits or names the bad parameter: as a polling query and as a
    /// history query.
    static func parseQuery(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let uri = URI("/api/quotes/poll?" + text)
        do {
            let query = try PollingQuery(query: uri.queryParameters, catalog: catalog, limits: limits)
            precondition((0...limits.maxTimeoutMs).contains(query.timeoutMs), "timeoutMs \(query.timeoutMs) outside its bounds")
            precondition(query.symbols.allSatisfy { $0 < catalog.count }, "a symbol outside the catalog")
        } catch {
            precondition(!error.parameter.isEmpty && !error.message.isEmpty, "a problem that names nothing for \(text)")
        }
        do {
            let query = try HistoryQuery(
                parameters: uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }, catalog: catalog, depth: 100)
            precondition((1...100).contains(query.points), "points \(query.points) outside its bounds")
            precondition(query.symbol < catalog.count, "a symbol outside the catalog")
        } catch {
            precondition(!error.parameter.isEmpty && !error.message.isEmpty, "a history problem that names nothing for \(text)")
        }
    }
}
