import TickerClient
import TickerUI

extension HistoryClient {
    /// The dashboard's answer to a ``DashboardCommand/fetchHistory(_:)`` of `symbol`: its points, or why there are none.
    func message(for symbol: String) async -> DashboardMessage {
        do {
            return .history(symbol: symbol, points: try await fetch(symbol: symbol))
        } catch {
            return .historyFailed(symbol: symbol, reason: "\(error)")
        }
    }
}
