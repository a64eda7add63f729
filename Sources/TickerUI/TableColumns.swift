/// The quote table's columns and how they give way on a narrow terminal.
enum TableColumn: CaseIterable, Hashable {
    case symbol, name, last, change, changePercent, bid, ask, volume, high, low, trend

    var title: String {
        switch self {
        case .symbol: "SYMBOL"
        case .name: "NAME"
        case .last: "LAST"
        case .change: "CHG"
        case .changePercent: "CHG%"
        case .bid: "BID"
        case .ask: "ASK"
        case .volume: "VOLUME"
        case .high: "HIGH"
        case .low: "LOW"
        case .trend: "TREND"
        }
    }

    var minimumWidth: Int {
        switch self {
        case .symbol: 7
        case .name: 12
        case .last: 10
        case .change, .changePercent: 8
        case .bid, .ask, .high, .low: 9
        case .volume: 11
        case .trend: 10
        }
    }

    var alignsRight: Bool { self != .symbol && self != .name && self != .trend }

    /// Which columns stay longest as the terminal narrows.
    static let priority: [TableColumn] = [.symbol, .last, .changePercent, .trend, .change, .bid, .ask, .volume, .high, .low, .name]

    /// The columns that fit in `width` cells (one space between columns), with their widths, in display order.
    static func layout(width: Int) -> [(column: TableColumn, width: Int)] {
        var chosen: [TableColumn: Int] = [:]
        var used = 0
        for column in priority {
            let needed = column.minimumWidth + (chosen.isEmpty ? 0 : 1)
            guard used + needed <= width else { continue }
            chosen[column] = column.minimumWidth
            used += needed
        }
        var spare = width - used
        for (column, limit) in [(TableColumn.trend, 24), (.name, 34)] where chosen[column] != nil {
            let extra = min(spare, limit - chosen[column]!)
            chosen[column]! += extra
            spare -= extra
        }
        return allCases.compactMap { column in chosen[column].map { (column, $0) } }
    }
}
