/// Symbol names from a request, resolved against the catalog: the known positions and the unknown names.
public struct SymbolSelection: Hashable, Sendable {
    /// The known symbols' positions.
    public var known: SymbolSet
    /// Names that are not in the universe, in request order, without duplicates.
    public var unknown: [String]

    /// Resolves `names`; `"*"` selects every symbol.
    public init(names: [String], in catalog: SymbolCatalog) {
        var known = SymbolSet(capacity: catalog.count)
        var unknown: [String] = []
        for name in names {
            if name == TickerProtocol.wildcard {
                known = SymbolSet.all(capacity: catalog.count)
            } else if let index = catalog.index(of: name) ?? catalog.index(of: name.uppercased()) {
                known.insert(index)
            } else if !unknown.contains(name) {
                unknown.append(name)
            }
        }
        self.known = known
        self.unknown = unknown
    }

    /// The `error` message naming the unknown symbols, or nil when every name was known.
    public var unknownSymbolError: ServerMessage? {
        guard !unknown.isEmpty else { return nil }
        let list = unknown.map { "\"\($0)\"" }.joined(separator: ", ")
        let noun = unknown.count == 1 ? "symbol" : "symbols"
        return .error(
            code: .unknownSymbol, message: "unknown \(noun) \(list); the other symbols in the request took effect",
            symbols: unknown)
    }
}
