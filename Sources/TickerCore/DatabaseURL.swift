import Foundation

/// A PostgreSQL connection URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, checked field by field so a
/// mistyped one is refused with what is wrong with it. The password may instead come from `PGPASSWORD`, so that it
/// need not appear in a process listing; one in the URL wins.
public struct DatabaseURL: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    /// Why a URL was refused.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String, environmentPassword: String? = nil) throws(Problem) {
        func problem(_ why: String) -> Problem { Problem(description: "the database URL \(Self.redacted(text)) \(why)") }
        guard let schemeEnd = text.range(of: "://") else {
            throw problem("is not a URL: expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw problem("has the scheme \"\(scheme)\": expected postgres:// or postgresql://")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        if let query = rest.firstIndex(of: "?") {
            throw problem("has query parameters (\(rest[query...].prefix(40))): ticker takes none; talk to PostgreSQL directly, without TLS options")
        }
        guard let slash = rest.firstIndex(of: "/") else { throw problem("names no database: expected .../DATABASE at the end") }
        let database = Self.percentDecoded(rest[rest.index(after: slash)...])
        guard let database, !database.isEmpty else { throw problem("names no database: expected .../DATABASE at the end") }
        rest = rest[..<slash]
        var user = "postgres"
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.percentDecoded(parts[0]), !name.isEmpty else { throw problem("has an empty user name") }
            user = name
            if parts.count == 2 {
                guard let decoded = Self.percentDecoded(parts[1]) else { throw problem("has a badly percent-encoded password") }
                password = decoded
            }
        }
        var host = String(rest)
        var port = 5432
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw problem("has an unclosed [ in its host") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                port = try Self.port(after.dropFirst(), problem)
            } else if !after.isEmpty {
                throw problem("has \"\(after)\" after its host")
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            port = try Self.port(host[host.index(after: colon)...], problem)
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw problem("names no host") }
        self.host = host
        self.port = port
        self.user = user
        self.password = password ?? environmentPassword
        self.database = database
    }

    private static func port(_ text: Substring, _ problem: (String) -> Problem) throws(Problem) -> Int {
        guard let port = Int(text), String(port) == text else { throw problem("has the port \"\(text)\", which is not a number") }
        guard (1...65535).contains(port) else { throw problem("has the port \(port), out of range (1 to 65535)") }
        return port
    }

    /// The URL without its password, for messages and logs.
    public var description: String { "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    /// `text` with any password replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].lastIndex(of: "@") else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first != utf8.endIndex else { return nil }
                let second = utf8.index(after: first)
                guard second != utf8.endIndex, let high = hexValue(utf8[first]), let low = hexValue(utf8[second]) else { return nil }
                bytes.append(high << 4 | low)
                index = utf8.index(after: second)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
