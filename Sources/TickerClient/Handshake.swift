import Crypto
import Foundation

/// The opening handshake exactly as it crossed the wire: the client's HTTP upgrade request and the server's answer.
public struct Handshake: Hashable, Sendable {
    /// The request's text, request line and headers (CRLF line ends dropped).
    public var request: [String]
    /// The response's status line and headers.
    public var response: [String]

    public init(request: [String], response: [String]) {
        self.request = request
        self.response = response
    }

    /// Builds the record from the raw bytes sent and received up to the end of the response headers.
    init(rawRequest: [UInt8], rawResponse: [UInt8]) {
        func lines(_ bytes: [UInt8]) -> [String] {
            let text = String(decoding: bytes, as: UTF8.self)
            let head = text.components(separatedBy: "\r\n\r\n").first ?? text
            return head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        }
        self.init(request: lines(rawRequest), response: lines(rawResponse))
    }

    /// The value of a response header (case-insensitive name), if present.
    public func responseHeader(_ name: String) -> String? { Self.header(name, in: response) }

    /// The value of a request header (case-insensitive name), if present.
    public func requestHeader(_ name: String) -> String? { Self.header(name, in: request) }

    private static func header(_ name: String, in lines: [String]) -> String? {
        let prefix = name.lowercased() + ":"
        for line in lines.dropFirst() where line.lowercased().hasPrefix(prefix) {
            return String(line.dropFirst(prefix.count)).trimmingLeadingSpaces
        }
        return nil
    }

    /// The GUID RFC 6455 §4.2.2 appends to the key.
    public static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64 of the SHA-1 of the key followed by the GUID.
    public static func accept(forKey key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + acceptGUID).utf8))).base64EncodedString()
    }

    /// The key sent, the Accept it calls for and the Accept the server sent; nil without a key in the request.
    public var acceptCheck: (key: String, expected: String, received: String?)? {
        requestHeader("Sec-WebSocket-Key").map { ($0, Self.accept(forKey: $0), responseHeader("Sec-WebSocket-Accept")) }
    }
}

extension String {
    fileprivate var trimmingLeadingSpaces: String { String(drop(while: { $0 == " " })) }
}
