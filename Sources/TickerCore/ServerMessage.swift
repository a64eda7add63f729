import Foundation

/// A message from the server to a client, one JSON object per WebSocket text frame.
public enum ServerMessage: Hashable, Sendable {
    /// Sent first on every connection, with where the feed is (`epoch`, `seq`) and which server this is (`node`).
    case welcome(
        symbols: [SymbolName], tickIntervalMs: Int, heartbeatIntervalMs: Int, epoch: String? = nil, seq: UInt64? = nil,
        node: String? = nil)
    /// The client's whole subscription set, after every subscribe or unsubscribe.
    case subscribed(symbols: [String])
    /// Current state of newly subscribed symbols, in `epoch`; `resumed` is false when a resume was asked and could
    /// not be granted (the client starts over from this snapshot).
    case snapshot(seq: UInt64, ts: Int64, quotes: [Quote], epoch: String? = nil, resumed: Bool? = nil)
    /// The subscribed symbols that changed in a tick; `conflated` counts earlier ticks folded in for a slow client;
    /// `resumed` marks the one frame that answers a granted resume.
    case quotes(seq: UInt64, ts: Int64, quotes: [Quote], conflated: Int?, resumed: Bool? = nil)
    /// Sent when a client was sent nothing for a heartbeat interval.
    case heartbeat(seq: UInt64, ts: Int64)
    /// The answer to a client `ping`.
    case pong(id: PingID?, ts: Int64)
    /// A bad request; the connection stays open (unless `rateLimited`).
    case error(code: ErrorCode, message: String, symbols: [String]?)

    /// A symbol and its company name, as listed in `welcome`.
    public struct SymbolName: Hashable, Sendable, Codable {
        public var symbol: String
        public var name: String
        public init(symbol: String, name: String) {
            self.symbol = symbol
            self.name = name
        }
    }

    /// The `type` field.
    public var type: String {
        switch self {
        case .welcome: "welcome"
        case .subscribed: "subscribed"
        case .snapshot: "snapshot"
        case .quotes: "quotes"
        case .heartbeat: "heartbeat"
        case .pong: "pong"
        case .error: "error"
        }
    }

    /// The message as JSON bytes, keys in the contract's order.
    public var encodedJSON: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("type")
        writer.string(type)
        switch self {
        case .welcome(let symbols, let tickIntervalMs, let heartbeatIntervalMs, let epoch, let seq, let node):
            writer.key("protocol")
            writer.string(TickerProtocol.name)
            writer.key("symbols")
            writer.beginArray()
            for entry in symbols {
                writer.beginObject()
                writer.key("symbol")
                writer.string(entry.symbol)
                writer.key("name")
                writer.string(entry.name)
                writer.endObject()
            }
            writer.endArray()
            writer.key("tickIntervalMs")
            writer.integer(tickIntervalMs)
            writer.key("heartbeatIntervalMs")
            writer.integer(heartbeatIntervalMs)
            if let epoch {
                writer.key("epoch")
                writer.string(epoch)
            }
            if let seq {
                writer.key("seq")
                writer.integer(seq)
            }
            if let node {
                writer.key("node")
                writer.string(node)
            }
        case .subscribed(let symbols):
            writer.key("symbols")
            Self.writeStrings(symbols, to: &writer)
        case .snapshot(let seq, let ts, let quotes, _, _), .quotes(let seq, let ts, let quotes, _, _):
            writer.key("seq")
            writer.integer(seq)
            writer.key("ts")
            writer.integer(ts)
            writer.key("quotes")
            writer.beginArray()
            for quote in quotes { quote.write(to: &writer) }
            writer.endArray()
            switch self {
            case .quotes(_, _, _, let conflated, let resumed):
                if let conflated {
                    writer.key("conflated")
                    writer.integer(conflated)
                }
                if let resumed {
                    writer.key("resumed")
                    writer.boolean(resumed)
                }
            case .snapshot(_, _, _, let epoch, let resumed):
                if let epoch {
                    writer.key("epoch")
                    writer.string(epoch)
                }
                if let resumed {
                    writer.key("resumed")
                    writer.boolean(resumed)
                }
            default: break
            }
        case .heartbeat(let seq, let ts):
            writer.key("seq")
            writer.integer(seq)
            writer.key("ts")
            writer.integer(ts)
        case .pong(let id, let ts):
            writer.key("id")
            switch id {
            case .number(let value)?: writer.integer(value)
            case .string(let value)?: writer.string(value)
            case nil: writer.null()
            }
            writer.key("ts")
            writer.integer(ts)
        case .error(let code, let message, let symbols):
            writer.key("code")
            writer.string(code.rawValue)
            writer.key("message")
            writer.string(message)
            if let symbols {
                writer.key("symbols")
                Self.writeStrings(symbols, to: &writer)
            }
        }
        writer.endObject()
        return writer.bytes
    }

    /// The JSON as a `String` (for logs, tests and the headless output).
    public var jsonText: String { String(decoding: encodedJSON, as: UTF8.self) }

    /// A `quotes` frame assembled from quotes already encoded once for the whole tick: the fan-out's encoder.
    public static func quotesFrame(seq: UInt64, ts: Int64, encodedQuotes: [[UInt8]], conflated: Int? = nil) -> [UInt8] {
        var writer = JSONWriter(capacity: 48 + encodedQuotes.reduce(0) { $0 + $1.count + 1 })
        writer.beginObject()
        writer.key("type")
        writer.string("quotes")
        writer.key("seq")
        writer.integer(seq)
        writer.key("ts")
        writer.integer(ts)
        writer.key("quotes")
        writer.beginArray()
        for quote in encodedQuotes { writer.raw(quote) }
        writer.endArray()
        if let conflated {
            writer.key("conflated")
            writer.integer(conflated)
        }
        writer.endObject()
        return writer.bytes
    }

    private static func writeStrings(_ strings: [String], to writer: inout JSONWriter) {
        writer.beginArray()
        for string in strings { writer.string(string) }
        writer.endArray()
    }
}
