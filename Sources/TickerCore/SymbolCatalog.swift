import Foundation

/// The ordered symbol universe the feed simulates: the first N symbols of the assets, extended with generated
/// synthetic symbols when N is larger than the assets list (so load tests can use hundreds).
public struct SymbolCatalog: Sendable {
    public let symbols: [SymbolInfo]
    private let indexBySymbol: [String: Int]

    public init(symbols: [SymbolInfo]) {
        self.symbols = symbols
        var index: [String: Int] = [:]
        for (position, info) in symbols.enumerated() { index[info.symbol] = position }
        self.indexBySymbol = index
    }

    /// Decodes `symbols.json` and keeps the first `count` symbols, generating synthetic ones past the end.
    public init(assetsJSON: Data, count: Int? = nil) throws {
        struct File: Decodable { var symbols: [SymbolInfo] }
        let listed = try JSONDecoder().decode(File.self, from: assetsJSON).symbols
        let wanted = count ?? listed.count
        if wanted <= listed.count {
            self.init(symbols: Array(listed.prefix(wanted)))
        } else {
            let extra = (listed.count..<wanted).map(Self.syntheticSymbol(ordinal:))
            self.init(symbols: listed + extra)
        }
    }

    public var count: Int { symbols.count }

    /// The position of a symbol, or nil when it is not part of the universe.
    public func index(of symbol: String) -> Int? { indexBySymbol[symbol] }

    /// A generated symbol, `SYN0061` for ordinal 60: stable, whatever the feed's seed.
    static func syntheticSymbol(ordinal: Int) -> SymbolInfo {
        var generator = SeededGenerator(seed: 0x5EED_0000 &+ UInt64(ordinal))
        let price = (10 + generator.nextUnit() * 490).rounded(toPlaces: 2)
        let volatility = (0.15 + generator.nextUnit() * 0.45).rounded(toPlaces: 2)
        let number = String(ordinal + 1)
        let padded = String(repeating: "0", count: max(0, 4 - number.count)) + number
        return SymbolInfo(
            symbol: "SYN\(padded)", name: "Synthetic Co. \(padded)", sector: "Synthetic", referencePrice: price,
            annualVolatility: volatility, annualDrift: 0.06)
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
