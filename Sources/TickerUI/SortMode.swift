import TickerClient
import TickerCore

/// The table's order, cycled with `s`.
public enum SortMode: String, Sendable, Hashable, CaseIterable {
    case subscribed = "as subscribed"
    case symbol = "symbol"
    case changePercent = "change %"
    case price = "price"
    case volume = "volume"

    /// The next mode in the cycle.
    var next: SortMode {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }

    /// The symbols of `market`, in this order.
    func ordered(_ market: MarketState) -> [String] {
        let symbols = market.subscriptionOrder.filter { market.rows[$0] != nil }
        func row(_ symbol: String) -> MarketState.Row { market.rows[symbol]! }
        switch self {
        case .subscribed: return symbols
        case .symbol: return symbols.sorted()
        case .changePercent: return symbols.sorted { row($0).quote.changePct > row($1).quote.changePct }
        case .price: return symbols.sorted { row($0).quote.price > row($1).quote.price }
        case .volume: return symbols.sorted { row($0).quote.volume > row($1).quote.volume }
        }
    }
}
