import Foundation

/// A tick as the feed stores it in the broker for the edges: the changed quotes, which the edges apply in `seq` order.
/// (Beside it the feed stores the simulator's whole state, ``PriceSimulator/State``, so that a standby taking over
/// continues the very same stream and an edge that starts, or lost its place, begins from the full book.)
public enum StoredTick {
    /// `{"changed":[positions],"quotes":[Quote...]}`: the tick's column.
    public static func tickJSON(_ tick: FeedTick) -> String {
        var writer = JSONWriter(capacity: 64 + tick.quotes.count * 200)
        writer.beginObject()
        writer.key("changed")
        writer.beginArray()
        for index in tick.changed { writer.integer(index) }
        writer.endArray()
        writer.key("quotes")
        writer.beginArray()
        for quote in tick.quotes { quote.write(to: &writer) }
        writer.endArray()
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Reads the tick column back; nil when it is not one, or names a position outside a catalog of `count` symbols.
    public static func tick(seq: UInt64, ts: Int64, json: String, count: Int) -> FeedTick? {
        struct Body: Decodable {
            var changed: [Int]
            var quotes: [Quote]
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(json.utf8)), body.changed.count == body.quotes.count,
            body.changed.allSatisfy({ (0..<count).contains($0) })
        else { return nil }
        return FeedTick(seq: seq, ts: ts, changed: body.changed, quotes: body.quotes)
    }
}
