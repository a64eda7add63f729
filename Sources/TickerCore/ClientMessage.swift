import Foundation

/// A message from a client to the server.
public enum ClientMessage: Hashable, Sendable {
    /// Adds symbols to the subscription (`"*"` = all). The first subscribe of a connection may ask to `resume` from
    /// where the client was, instead of a snapshot.
    case subscribe(symbols: [String], resume: FeedPosition? = nil)
    /// Removes symbols from the subscription (`"*"` = all).
    case unsubscribe(symbols: [String])
    /// Asks for a `pong` carrying the same `id`.
    case ping(id: PingID?)

    /// The message as JSON text.
    public var jsonText: String {
        var writer = JSONWriter(capacity: 64)
        writer.beginObject()
        writer.key("type")
        switch self {
        case .subscribe(let symbols, _), .unsubscribe(let symbols):
            if case .subscribe = self { writer.string("subscribe") } else { writer.string("unsubscribe") }
            writer.key("symbols")
            writer.beginArray()
            for symbol in symbols { writer.string(symbol) }
            writer.endArray()
            if case .subscribe(_, let resume?) = self {
                writer.key("resume")
                writer.beginObject()
                writer.key("epoch")
                writer.string(resume.epoch)
                writer.key("seq")
                writer.integer(resume.seq)
                writer.endObject()
            }
        case .ping(let id):
            writer.string("ping")
            writer.key("id")
            switch id {
            case .number(let value)?: writer.integer(value)
            case .string(let value)?: writer.string(value)
            case nil: writer.null()
            }
        }
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// Why a client message was refused: the `code` and `message` of the `error` the server answers with.
public struct ClientMessageError: Error, Hashable, Sendable {
    public var code: ErrorCode
    public var message: String

    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }
}

extension ClientMessage {
    /// The message types a client may send.
    public static let knownTypes = ["subscribe", "unsubscribe", "ping"]

    /// Parses one text frame from a client, with a specific reason when it is refused.
    public static func decode(_ data: Data) throws(ClientMessageError) -> ClientMessage {
        let decoder = JSONDecoder()
        let envelope: Envelope
        do {
            envelope = try decoder.decode(Envelope.self, from: data)
        } catch {
            throw ClientMessageError(code: .badMessage, message: ServerMessage.describe(error))
        }
        do {
            switch envelope.type {
            case "subscribe":
                let body = try decoder.decode(SubscribeBody.self, from: data)
                return .subscribe(symbols: body.symbols, resume: body.resume)
            case "unsubscribe":
                return .unsubscribe(symbols: try decoder.decode(SymbolsBody.self, from: data).symbols)
            case "ping":
                return .ping(id: try decoder.decode(PingBody.self, from: data).id?.pingID)
            default:
                let known = knownTypes.joined(separator: ", ")
                throw ClientMessageError(
                    code: .unknownType, message: "unknown message type \"\(envelope.type)\" (known types: \(known))")
            }
        } catch let error as ClientMessageError {
            throw error
        } catch {
            throw ClientMessageError(
                code: .badMessage, message: "\(envelope.type): \(ServerMessage.describe(error))")
        }
    }

    private struct Envelope: Decodable { var type: String }
    private struct SymbolsBody: Decodable { var symbols: [String] }
    private struct SubscribeBody: Decodable {
        var symbols: [String]
        var resume: FeedPosition?
    }
    private struct PingBody: Decodable { var id: PingIDValue? }
}
