/// A set of catalog positions as a bitset: cheap to compare, hash, intersect and use as a dictionary key.
///
/// The fan-out groups connections by their `SymbolSet` and encodes a tick once per distinct intersection with the
/// tick's changed symbols.
public struct SymbolSet: Hashable, Sendable, Sequence {
    private var words: [UInt64]

    public init(capacity: Int) {
        words = Array(repeating: 0, count: (capacity + 63) / 64)
    }

    public init<S: Sequence>(capacity: Int, members: S) where S.Element == Int {
        self.init(capacity: capacity)
        for member in members { insert(member) }
    }

    /// Every position below `capacity`.
    public static func all(capacity: Int) -> SymbolSet {
        SymbolSet(capacity: capacity, members: 0..<capacity)
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    public func contains(_ member: Int) -> Bool {
        let word = member / 64
        return word < words.count && words[word] & (1 << UInt64(member % 64)) != 0
    }

    public mutating func insert(_ member: Int) {
        words[member / 64] |= 1 << UInt64(member % 64)
    }

    public mutating func remove(_ member: Int) {
        words[member / 64] &= ~(1 << UInt64(member % 64))
    }

    public func union(_ other: SymbolSet) -> SymbolSet {
        var result = self
        for index in result.words.indices { result.words[index] |= other.words[index] }
        return result
    }

    public func subtracting(_ other: SymbolSet) -> SymbolSet {
        var result = self
        for index in result.words.indices { result.words[index] &= ~other.words[index] }
        return result
    }

    public func intersection(_ other: SymbolSet) -> SymbolSet {
        var result = self
        for index in result.words.indices { result.words[index] &= other.words[index] }
        return result
    }

    /// Members in ascending order.
    public func makeIterator() -> AnyIterator<Int> {
        var wordIndex = 0
        var current = words.first ?? 0
        let words = self.words
        return AnyIterator {
            while current == 0 {
                wordIndex += 1
                guard wordIndex < words.count else { return nil }
                current = words[wordIndex]
            }
            let bit = current.trailingZeroBitCount
            current &= current - 1
            return wordIndex * 64 + bit
        }
    }
}
