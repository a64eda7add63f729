/// One tradable symbol of the simulated universe, as listed in `Assets/symbols.json`.
public struct SymbolInfo: Codable, Hashable, Sendable {
    public var symbol: String
    public var name: String
    public var sector: String
    /// The previous close the simulated session starts from, in dollars.
    public var referencePrice: Double
    /// The annual volatility σ of the geometric Brownian motion (0.25 = 25 %).
    public var annualVolatility: Double
    /// The annual drift μ of the geometric Brownian motion.
    public var annualDrift: Double

    public init(
        symbol: String, name: String, sector: String, referencePrice: Double, annualVolatility: Double,
        annualDrift: Double
    ) {
        self.symbol = symbol
        self.name = name
        self.sector = sector
        self.referencePrice = referencePrice
        self.annualVolatility = annualVolatility
        self.annualDrift = annualDrift
    }
}
