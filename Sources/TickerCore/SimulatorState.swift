import Foundation

extension PriceSimulator {
    /// Everything the simulator needs to continue exactly where it was: its seq, quotes, exact prices and generator.
    /// Doubles are kept as their bit patterns, so a restored simulator produces the very same ticks.
    public struct State: Sendable, Hashable {
        public var seq: UInt64
        public var quotes: [Quote]
        var exactPrices: [UInt64]
        var generator: SeededGenerator.State

        /// The state as JSON, for the broker's `state` column.
        public var json: String {
            var writer = JSONWriter(capacity: 128 + quotes.count * 220)
            writer.beginObject()
            writer.key("seq")
            writer.integer(seq)
            writer.key("quotes")
            writer.beginArray()
            for quote in quotes { quote.write(to: &writer) }
            writer.endArray()
            writer.key("exactPrices")
            writer.beginArray()
            for bits in exactPrices { writer.string(String(bits)) }
            writer.endArray()
            writer.key("generator")
            writer.beginArray()
            for word in generator.words { writer.string(String(word)) }
            writer.endArray()
            if let spare = generator.spareNormal {
                writer.key("spareNormal")
                writer.string(String(spare))
            }
            writer.endObject()
            return String(decoding: writer.bytes, as: UTF8.self)
        }

        /// Reads `json`; nil when it is not a state of `count` symbols. (64-bit words travel as strings: a JSON number
        /// past 2^53 is not read back exactly everywhere.)
        public init?(json: String, count: Int) {
            struct Body: Decodable {
                var seq: UInt64
                var quotes: [Quote]
                var exactPrices: [String]
                var generator: [String]
                var spareNormal: String?
            }
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(json.utf8)), body.quotes.count == count,
                body.exactPrices.count == count, body.generator.count == 4
            else { return nil }
            let prices = body.exactPrices.compactMap(UInt64.init)
            let words = body.generator.compactMap(UInt64.init)
            let spare = body.spareNormal.map(UInt64.init)
            guard prices.count == count, words.count == 4, spare != .some(nil) else { return nil }
            self.init(
                seq: body.seq, quotes: body.quotes, exactPrices: prices,
                generator: SeededGenerator.State(words: words, spareNormal: spare ?? nil))
        }

        init(seq: UInt64, quotes: [Quote], exactPrices: [UInt64], generator: SeededGenerator.State) {
            self.seq = seq
            self.quotes = quotes
            self.exactPrices = exactPrices
            self.generator = generator
        }
    }

    /// The simulator's state now.
    public var state: State {
        State(seq: seq, quotes: quotes, exactPrices: exactPrices.map(\.bitPattern), generator: generator.state)
    }

    /// A simulator continuing from `state` (taken from one over the same catalog and activity).
    public init(catalog: SymbolCatalog, activity: Double, restoring state: State) {
        self.init(catalog: catalog, seed: 0, activity: activity)
        seq = state.seq
        quotes = state.quotes
        exactPrices = state.exactPrices.map(Double.init(bitPattern:))
        generator = SeededGenerator(restoring: state.generator)
    }
}

extension SeededGenerator {
    /// The generator's whole state, its spare normal value as a bit pattern.
    public struct State: Sendable, Hashable {
        var words: [UInt64]
        var spareNormal: UInt64?
    }

    var state: State {
        State(words: [stateWords.0, stateWords.1, stateWords.2, stateWords.3], spareNormal: spareNormal?.bitPattern)
    }

    init(restoring state: State) {
        self.init(seed: 0)
        stateWords = (state.words[0], state.words[1], state.words[2], state.words[3])
        spareNormal = state.spareNormal.map(Double.init(bitPattern:))
    }
}
