import Foundation

/// Why a server message could not be understood by a client.
public struct ServerMessageDecodingError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension ServerMessage {
    /// Parses one text frame from the server. Anything that is not a `ticker.v1` message is an error, never a crash.
    public static func decode(_ data: Data) throws(ServerMessageDecodingError) -> ServerMessage {
        let raw: RawMessage
        do {
            raw = try JSONDecoder().decode(RawMessage.self, from: data)
        } catch {
            throw ServerMessageDecodingError(description: "not a ticker.v1 message: \(Self.describe(error))")
        }
        func need<T>(_ value: T?, _ field: String) throws(ServerMessageDecodingError) -> T {
            guard let value else {
                throw ServerMessageDecodingError(description: "\(raw.type) message without \"\(field)\"")
            }
            return value
        }
        switch raw.type {
        case "welcome":
            let symbols = try need(raw.symbols, "symbols").compactMap { entry -> SymbolName? in
                if case .named(let named) = entry { return named }
                return nil
            }
            return .welcome(
                symbols: symbols, tickIntervalMs: try need(raw.tickIntervalMs, "tickIntervalMs"),
                heartbeatIntervalMs: try need(raw.heartbeatIntervalMs, "heartbeatIntervalMs"), epoch: raw.epoch, seq: raw.seq,
                node: raw.node)
        case "subscribed":
            return .subscribed(symbols: try need(raw.symbols, "symbols").map(\.symbol))
        case "snapshot":
            return .snapshot(
                seq: try need(raw.seq, "seq"), ts: try need(raw.ts, "ts"), quotes: try need(raw.quotes, "quotes"), epoch: raw.epoch,
                resumed: raw.resumed)
        case "quotes":
            return .quotes(
                seq: try need(raw.seq, "seq"), ts: try need(raw.ts, "ts"), quotes: try need(raw.quotes, "quotes"),
                conflated: raw.conflated, resumed: raw.resumed)
        case "heartbeat":
            return .heartbeat(seq: try need(raw.seq, "seq"), ts: try need(raw.ts, "ts"))
        case "pong":
            return .pong(id: raw.id?.pingID, ts: try need(raw.ts, "ts"))
        case "error":
            let code = try need(raw.code, "code")
            guard let known = ErrorCode(rawValue: code) else {
                throw ServerMessageDecodingError(description: "error message with unknown code \"\(code)\"")
            }
            return .error(code: known, message: raw.message ?? "", symbols: raw.symbols?.map(\.symbol))
        default:
            throw ServerMessageDecodingError(description: "unknown message type \"\(raw.type)\"")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "invalid JSON" : "bad value at \(path(context.codingPath))"
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\(path(context.codingPath + [key]))\""
        case DecodingError.typeMismatch(let type, let context):
            return context.codingPath.isEmpty
                ? "expected a JSON object" : "\"\(path(context.codingPath))\" should be \(typeName(type))"
        case DecodingError.valueNotFound(let type, let context):
            return "\"\(path(context.codingPath))\" should be \(typeName(type)), not null"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is [String].Type: "an array of strings"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Double.Type: "a number"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : String(describing: type).hasPrefix("Dictionary") ? "an object" : "\(type)"
        }
    }
}

/// The union of every server message's fields, decoded leniently and then checked per `type`.
private struct RawMessage: Decodable {
    var type: String
    var seq: UInt64?
    var ts: Int64?
    var quotes: [Quote]?
    var symbols: [SymbolEntry]?
    var tickIntervalMs: Int?
    var heartbeatIntervalMs: Int?
    var conflated: Int?
    var epoch: String?
    var node: String?
    var resumed: Bool?
    var id: PingIDValue?
    var code: String?
    var message: String?
}

/// `symbols` holds names in `subscribed` and `error`, and `{symbol, name}` objects in `welcome`.
private enum SymbolEntry: Decodable {
    case plain(String)
    case named(ServerMessage.SymbolName)

    init(from decoder: any Decoder) throws {
        if let plain = try? decoder.singleValueContainer().decode(String.self) {
            self = .plain(plain)
        } else {
            self = .named(try ServerMessage.SymbolName(from: decoder))
        }
    }

    var symbol: String {
        switch self {
        case .plain(let symbol): symbol
        case .named(let named): named.symbol
        }
    }
}

/// A ping `id` as JSON: a number, a string or null.
struct PingIDValue: Decodable {
    var pingID: PingID?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            pingID = nil
        } else if let number = try? container.decode(Int64.self) {
            pingID = .number(number)
        } else if let string = try? container.decode(String.self) {
            pingID = .string(string)
        } else {
            throw DecodingError.typeMismatch(
                PingID.self, .init(codingPath: decoder.codingPath, debugDescription: "id must be a number or a string"))
        }
    }
}
