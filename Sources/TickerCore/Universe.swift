/// The symbol universe a feed publishes, as a count and a hash of the symbols in catalog order: an edge serving a
/// different one would answer subscriptions with the wrong symbols, so it refuses to start.
public struct Universe: Hashable, Sendable, CustomStringConvertible {
    public let count: Int
    /// FNV-1a (64-bit) of the symbols joined by commas.
    public let hash: UInt64

    public init(_ catalog: SymbolCatalog) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (index, info) in catalog.symbols.enumerated() {
            if index > 0 { hash = (hash ^ UInt64(UInt8(ascii: ","))) &* 0x0000_0100_0000_01B3 }
            for byte in info.symbol.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        self.count = catalog.count
        self.hash = hash
    }

    /// `COUNT:HASH`, as stored by the feed.
    public var text: String {
        let hex = String(hash, radix: 16)
        return "\(count):" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    public var description: String { text }
}

/// A feed and an edge that disagree on the universe.
public struct UniverseMismatch: Error, CustomStringConvertible, Sendable {
    public var mine: String
    public var stored: String
    /// Who holds `stored`: "the feed", "the database's feed".
    public var who: String

    public init(mine: String, stored: String, who: String) {
        self.mine = mine
        self.stored = stored
        self.who = who
    }

    public var description: String {
        func describe(_ text: String) -> String {
            let parts = text.split(separator: ":")
            return parts.count == 2 ? "\(parts[0]) symbols (hash \(parts[1]))" : text
        }
        return "the symbol universes differ: this process has \(describe(mine)), \(who) has \(describe(stored)); "
            + "start feeds and edges with the same assets and --symbol-count"
    }
}

/// Names of histories.
public enum Epoch {
    /// 16 hex digits of randomness: two histories never share a name.
    public static func fresh() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
