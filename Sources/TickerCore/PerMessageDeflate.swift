import Foundation

/// RFC 7692 `permessage-deflate` negotiation, server side: reads the client's offers from `Sec-WebSocket-Extensions`
/// and picks the first one this server can honour, answering it with `server_no_context_takeover` and
/// `client_no_context_takeover`.
///
/// No context takeover on either side is what makes compression cheap for a fan-out: each message is compressed on its
/// own, so the same content gives the same bytes (one compression per distinct frame serves every client), and the
/// server inflates each client message on its own, so it keeps no inflater or window per connection.
public enum PerMessageDeflate {
    /// The extension's token.
    public static let name = "permessage-deflate"

    /// What was agreed with one client.
    public struct Agreement: Sendable, Hashable {
        /// The window the server's compressor may use (`server_max_window_bits`, 15 when the client set none).
        public var serverWindowBits: Int
        /// The `Sec-WebSocket-Extensions` value of the 101.
        public var responseHeader: String {
            var parameters = [PerMessageDeflate.name, "server_no_context_takeover", "client_no_context_takeover"]
            if serverWindowBits < 15 { parameters.append("server_max_window_bits=\(serverWindowBits)") }
            return parameters.joined(separator: "; ")
        }
    }

    /// The first acceptable `permessage-deflate` offer among the header values (several offers, comma-separated,
    /// best first), or nil: no offer, or none this server can honour (then the connection is not compressed).
    ///
    /// An offer is declined when it repeats a parameter, has an unknown one, or gives a value out of range (RFC 7692
    /// §5.1, §7.1.2). `server_max_window_bits=8` is declined too: zlib's raw deflate needs at least 9.
    public static func negotiate(_ headerValues: [String]) -> Agreement? {
        for offer in offers(headerValues) where offer.name == name {
            if let agreement = accept(offer.parameters) { return agreement }
        }
        return nil
    }

    /// One extension offer: its name and parameters (a parameter without a value has nil).
    struct Offer: Hashable {
        var name: String
        var parameters: [(name: String, value: String?)]

        static func == (lhs: Offer, rhs: Offer) -> Bool {
            lhs.name == rhs.name && lhs.parameters.map(\.name) == rhs.parameters.map(\.name)
                && lhs.parameters.map(\.value) == rhs.parameters.map(\.value)
        }
        func hash(into hasher: inout Hasher) { hasher.combine(name) }
    }

    /// `a; x=1, b` → [a(x=1), b]. Values may be quoted (RFC 6455 §9.1).
    static func offers(_ headerValues: [String]) -> [Offer] {
        headerValues.flatMap { $0.split(separator: ",") }.compactMap { element in
            let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else { return nil }
            let parameters = parts.dropFirst().map { part -> (name: String, value: String?) in
                let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                let value = pieces.count > 1 ? pieces[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : nil
                return (pieces[0].lowercased(), value)
            }
            return Offer(name: name.lowercased(), parameters: parameters)
        }
    }

    private static func accept(_ parameters: [(name: String, value: String?)]) -> Agreement? {
        guard Set(parameters.map(\.name)).count == parameters.count else { return nil }
        var agreement = Agreement(serverWindowBits: 15)
        for (name, value) in parameters {
            switch name {
            case "server_no_context_takeover", "client_no_context_takeover":
                guard value == nil else { return nil }
            case "server_max_window_bits":
                guard let bits = value.flatMap(Self.windowBits), bits >= 9 else { return nil }
                agreement.serverWindowBits = bits
            case "client_max_window_bits":
                // The client can limit its own window: no need, its messages are inflated with the largest.
                guard value == nil || value.flatMap(Self.windowBits) != nil else { return nil }
            default:
                return nil
            }
        }
        return agreement
    }

    /// A window size parameter's value: 8 to 15, digits only (no sign, no leading zero).
    private static func windowBits(_ value: String) -> Int? {
        guard let bits = Int(value), (8...15).contains(bits), String(bits) == value else { return nil }
        return bits
    }
}

extension PerMessageDeflate {
    /// What a client offers: the extension, and that the server may limit the client's window (browsers offer the same).
    public static let clientOffer = "\(name); client_max_window_bits"

    /// What the server's 101 agreed to, as a client sees it.
    public struct ClientAgreement: Sendable, Hashable {
        /// The server compresses each message on its own: the client's inflater starts afresh for every message.
        public var serverNoContextTakeover: Bool
        /// The server asks the client not to keep context between the messages it compresses.
        public var clientNoContextTakeover: Bool
    }

    /// A response's `Sec-WebSocket-Extensions` that a client offering ``clientOffer`` can accept: nil when the server
    /// declined (no extension), or an error naming what the client did not offer or cannot honour, which fails the
    /// connection (RFC 7692 §5).
    public static func clientAccepts(_ headerValues: [String]) throws(ResponseError) -> ClientAgreement? {
        let answered = offers(headerValues)
        guard !answered.isEmpty else { return nil }
        guard answered.count == 1, let only = answered.first, only.name == name else {
            throw ResponseError(description: "the server answered extensions the client did not offer: \(headerValues.joined(separator: ", "))")
        }
        guard Set(only.parameters.map(\.name)).count == only.parameters.count else {
            throw ResponseError(description: "a permessage-deflate parameter is repeated")
        }
        var agreement = ClientAgreement(serverNoContextTakeover: false, clientNoContextTakeover: false)
        for (parameter, value) in only.parameters {
            switch parameter {
            case "server_no_context_takeover" where value == nil: agreement.serverNoContextTakeover = true
            case "client_no_context_takeover" where value == nil: agreement.clientNoContextTakeover = true
            case "server_max_window_bits", "client_max_window_bits":
                guard value.flatMap(windowBits) != nil else {
                    throw ResponseError(description: "\(parameter) needs a value from 8 to 15, got \(value ?? "none")")
                }
            default:
                throw ResponseError(description: "unknown permessage-deflate parameter \(parameter)")
            }
        }
        return agreement
    }

    /// A response the client cannot accept.
    public struct ResponseError: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }
}
