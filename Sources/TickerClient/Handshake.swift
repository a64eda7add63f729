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
    public func responseHeader(_ name: String) -> String? {
        let prefix = name.lowercased() + ":"
        for line in response.dropFirst() where line.lowercased().hasPrefix(prefix) {
            return String(line.dropFirst(prefix.count)).trimmingLeadingSpaces
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingLeadingSpaces: String { String(drop(while: { $0 == " " })) }
}
