import ArgumentParser
import Foundation
import NIOSSL
import TickerClient
import TickerCore
import TickerTerminal

/// How the dashboard looks, shared by `watch` and `demo`.
struct DisplayOptions: ParsableArguments {
    @Flag(help: "No colours (also when the NO_COLOR environment variable is set).") var noColor = false
    @Option(help: "Colours: standard (green up, red down), color-blind (blue up, orange down), monochrome.")
    var palette: Palette = .standard

    /// The palette after `--no-color` and `NO_COLOR`.
    var effectivePalette: Palette {
        let noColorEnvironment = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return noColor || noColorEnvironment ? .monochrome : palette
    }
}

extension Palette: ExpressibleByArgument {}

/// `--url` and `--symbols`.
struct FeedOptions: ParsableArguments {
    @Option(help: "The server's WebSocket URL.") var url = "ws://127.0.0.1:8080/ws"
    @Option(help: "Comma-separated symbols to subscribe to, or * for all.") var symbols = "*"
    @Option(help: "The server's token, sent as a bearer header; also TICKER_TOKEN.") var token: String?
    @Option(help: "For wss:// URLs: a PEM file of the certificate authority (or self-signed certificate) to trust.")
    var tlsCA: String?
    @Option(help: "Offer permessage-deflate (on: the server's frames come compressed; off to compare).")
    var compression: OnOff = .on

    var symbolList: [String] {
        symbols.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
    }

    func validate() throws {
        do {
            _ = try WebSocketURL(url)
        } catch {
            throw ValidationError("--url: \(error)")
        }
        guard !symbolList.isEmpty else { throw ValidationError("--symbols needs at least one symbol, or *") }
        if let tlsCA {
            guard FileManager.default.isReadableFile(atPath: tlsCA) else {
                throw ValidationError("--tls-ca: cannot read \(tlsCA)")
            }
        }
    }

    func clientConfiguration() throws -> FeedClient.Configuration {
        var configuration = FeedClient.Configuration(url: try WebSocketURL(url), symbols: symbolList)
        configuration.compression = compression.isOn
        if let token = token ?? ProcessInfo.processInfo.environment["TICKER_TOKEN"] {
            configuration.headers = [("Authorization", "Bearer \(token)")]
        }
        if let tlsCA {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(tlsCA)
            configuration.tls = tls
        }
        return configuration
    }
}
