/// The parameters of `GET /api/history?symbol=AAPL[&points=N]`, parsed with a specific error for each bad one.
public struct HistoryQuery: Hashable, Sendable {
    /// The symbol's position in the catalog.
    public var symbol: Int
    /// How many of the latest points to answer with (at most the server's `--history`).
    public var points: Int

    /// Parses the query's parameters (already percent-decoded); `depth` is the server's history depth, the default and
    /// the maximum of `points`. Problems are the polling endpoints' (400 `bad_parameter` naming the parameter).
    public init(parameters: [(name: String, value: String)], catalog: SymbolCatalog, depth: Int) throws(PollingQuery.Problem) {
        var symbol: Int?
        var points = depth
        for (name, value) in parameters {
            switch name {
            case "symbol":
                let name = value.trimmingSpaces.uppercased()
                guard !name.isEmpty else {
                    throw PollingQuery.Problem(parameter: "symbol", message: "symbol must name one symbol, such as AAPL")
                }
                guard let index = catalog.index(of: name) else {
                    throw PollingQuery.Problem(parameter: "symbol", message: "unknown symbol: \(value)")
                }
                symbol = index
            case "points":
                guard let parsed = Int(value), (1...depth).contains(parsed) else {
                    throw PollingQuery.Problem(
                        parameter: "points", message: "points must be an integer from 1 to \(depth), got \"\(value)\"")
                }
                points = parsed
            case "token":
                continue  // the access token, checked before the request gets here
            case "":
                throw PollingQuery.Problem(parameter: "(unnamed)", message: "a query parameter has no name (\"=\(value)\")")
            default:
                throw PollingQuery.Problem(
                    parameter: name, message: "unknown parameter \"\(name)\" (known: symbol, points, token)")
            }
        }
        guard let symbol else {
            throw PollingQuery.Problem(parameter: "symbol", message: "symbol is required, such as ?symbol=AAPL")
        }
        self.symbol = symbol
        self.points = points
    }
}
