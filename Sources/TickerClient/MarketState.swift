import TickerCore

/// The client's view of the market: what the server offers, what this client is subscribed to, and per symbol the
/// latest quote, its recent prices and the direction and time of its last change. Pure: apply server messages in order.
public struct MarketState: Sendable, Hashable {
    /// Prices kept per symbol for the sparkline.
    public static let historyLength = 60

    /// One subscribed symbol.
    public struct Row: Sendable, Hashable {
        public var quote: Quote
        /// Up to the last 60 prices, oldest first.
        public var history: [Hundredths]
        /// Direction of the last price change.
        public var direction: Direction
        /// When the last update for this symbol arrived (µs), for flashing.
        public var updatedAt: Int64

        public init(quote: Quote, history: [Hundredths], direction: Direction, updatedAt: Int64) {
            self.quote = quote
            self.history = history
            self.direction = direction
            self.updatedAt = updatedAt
        }
    }

    public enum Direction: Sendable, Hashable {
        case up, down, unchanged
    }

    /// The universe, from `welcome`.
    public private(set) var available: [ServerMessage.SymbolName] = []
    /// Company names by symbol, from `welcome`.
    public private(set) var names: [String: String] = [:]
    /// Subscribed symbols in the order they were first subscribed.
    public private(set) var subscriptionOrder: [String] = []
    public private(set) var rows: [String: Row] = [:]

    public init() {}

    /// Applies one server message received at `receivedAt` (µs).
    public mutating func apply(_ message: ServerMessage, receivedAt: Int64) {
        switch message {
        case .welcome(let symbols, _, _, _, _, _):
            available = symbols
            names = Dictionary(symbols.map { ($0.symbol, $0.name) }, uniquingKeysWith: { first, _ in first })
        case .subscribed(let symbols):
            let current = Set(symbols)
            subscriptionOrder.removeAll { !current.contains($0) }
            let known = Set(subscriptionOrder)
            subscriptionOrder += symbols.filter { !known.contains($0) }
            for symbol in rows.keys where !current.contains(symbol) { rows[symbol] = nil }
        case .snapshot(_, _, let quotes, _, _):
            for quote in quotes where subscriptionOrder.contains(quote.symbol) {
                var row = rows[quote.symbol] ?? Row(quote: quote, history: [], direction: .unchanged, updatedAt: receivedAt)
                row.quote = quote
                row.history = Array((row.history + [quote.price]).suffix(Self.historyLength))
                rows[quote.symbol] = row
            }
        case .quotes(_, _, let quotes, _, _):
            for quote in quotes {
                guard var row = rows[quote.symbol] else { continue }
                let previous = row.quote.price
                row.direction = quote.price > previous ? .up : quote.price < previous ? .down : row.direction
                row.quote = quote
                row.history = Array((row.history + [quote.price]).suffix(Self.historyLength))
                row.updatedAt = receivedAt
                rows[quote.symbol] = row
            }
        case .heartbeat, .pong, .error:
            break
        }
    }
}
