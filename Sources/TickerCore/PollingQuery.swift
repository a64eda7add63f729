/// The parameters of the polling endpoints, parsed with a specific error for each bad one.
///
/// `GET /api/quotes?symbols=AAPL,MSFT` and `GET /api/quotes/poll?since=SEQ&symbols=...&timeoutMs=...`.
public struct PollingQuery: Hashable, Sendable {
    /// The selected symbols (all when `symbols` is absent or `*`).
    public var symbols: SymbolSet
    /// Answer with changes after this `seq`; nil means "from now on".
    public var since: UInt64?
    /// The epoch `since` belongs to, when it was given as `EPOCH:SEQ` (a bare `SEQ` means the server's own).
    public var sinceEpoch: String?
    /// How long a long poll may wait before answering 204.
    public var timeoutMs: Int

    /// Long-poll timeout bounds and default.
    public struct Limits: Hashable, Sendable {
        public var defaultTimeoutMs: Int
        public var maxTimeoutMs: Int
        public init(defaultTimeoutMs: Int = 25_000, maxTimeoutMs: Int = 60_000) {
            self.defaultTimeoutMs = defaultTimeoutMs
            self.maxTimeoutMs = maxTimeoutMs
        }
    }

    /// A parameter that could not be used: answered with 400 and `{"error":"bad_parameter","parameter":..,"message":..}`.
    public struct Problem: Error, Hashable, Sendable {
        public var parameter: String
        public var message: String
    }

    /// Parses a request's query parameters as the HTTP layer split them (Hummingbird's `uri.queryParameters`: names as
    /// sent, values percent-decoded), in order. The server and the fuzzer both come through here.
    public init(
        query: some Sequence<(key: Substring, value: Substring)>, catalog: SymbolCatalog, limits: Limits = Limits()
    ) throws(Problem) {
        try self.init(parameters: query.map { (name: String($0.key), value: String($0.value)) }, catalog: catalog, limits: limits)
    }

    /// Parses the query's parameters (already percent-decoded).
    public init(
        parameters: [(name: String, value: String)], catalog: SymbolCatalog, limits: Limits = Limits()
    ) throws(Problem) {
        var symbols = SymbolSet.all(capacity: catalog.count)
        var since: UInt64?
        var sinceEpoch: String?
        var timeoutMs = limits.defaultTimeoutMs
        for (name, value) in parameters {
            switch name {
            case "symbols":
                let names = value.split(separator: ",", omittingEmptySubsequences: false).map {
                    String($0).trimmingSpaces
                }
                guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
                    throw Problem(parameter: "symbols", message: "symbols must be a comma-separated list such as AAPL,MSFT")
                }
                let selection = SymbolSelection(names: names, in: catalog)
                guard selection.unknown.isEmpty else {
                    throw Problem(
                        parameter: "symbols", message: "unknown symbols: \(selection.unknown.joined(separator: ","))")
                }
                symbols = selection.known
            case "since":
                guard let parsed = FeedPosition(text: value, defaultEpoch: "") else {
                    throw Problem(parameter: "since", message: "since must be a seq or EPOCH:SEQ (a non-negative integer seq), got \"\(value)\"")
                }
                since = parsed.seq
                sinceEpoch = parsed.epoch.isEmpty ? nil : parsed.epoch
            case "timeoutMs":
                guard let parsed = Int(value), (0...limits.maxTimeoutMs).contains(parsed) else {
                    throw Problem(
                        parameter: "timeoutMs",
                        message: "timeoutMs must be an integer from 0 to \(limits.maxTimeoutMs), got \"\(value)\"")
                }
                timeoutMs = parsed
            case "token":
                continue  // the access token, checked before the request gets here
            case "":
                // Found by the fuzzer (`?=x`): the 400 named no parameter at all.
                throw Problem(parameter: "(unnamed)", message: "a query parameter has no name (\"=\(value)\")")
            default:
                throw Problem(
                    parameter: name, message: "unknown parameter \"\(name)\" (known: symbols, since, timeoutMs, token)")
            }
        }
        self.symbols = symbols
        self.since = since
        self.sinceEpoch = sinceEpoch
        self.timeoutMs = timeoutMs
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
