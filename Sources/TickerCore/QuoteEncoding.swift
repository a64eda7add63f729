extension Quote {
    /// The quote as `ticker.v1` JSON bytes, keys in the documented order.
    public var encodedJSON: [UInt8] {
        var writer = JSONWriter(capacity: 200)
        write(to: &writer)
        return writer.bytes
    }

    /// Writes the quote object into `writer`.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("symbol")
        writer.string(symbol)
        writer.key("price")
        writer.number(price)
        writer.key("bid")
        writer.number(bid)
        writer.key("ask")
        writer.number(ask)
        writer.key("open")
        writer.number(open)
        writer.key("high")
        writer.number(high)
        writer.key("low")
        writer.number(low)
        writer.key("prevClose")
        writer.number(prevClose)
        writer.key("change")
        writer.number(change)
        writer.key("changePct")
        writer.number(changePct)
        writer.key("volume")
        writer.integer(volume)
        writer.endObject()
    }
}

extension Quote: Decodable {
    private enum CodingKeys: String, CodingKey {
        case symbol, price, bid, ask, open, high, low, prevClose, volume
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func price(_ key: CodingKeys) throws -> Hundredths {
            Hundredths(rounding: try container.decode(Double.self, forKey: key))
        }
        self.init(
            symbol: try container.decode(String.self, forKey: .symbol), price: try price(.price), bid: try price(.bid),
            ask: try price(.ask), open: try price(.open), high: try price(.high), low: try price(.low),
            prevClose: try price(.prevClose), volume: try container.decode(Int64.self, forKey: .volume))
    }
}
