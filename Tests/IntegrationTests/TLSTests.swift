import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing
import TickerClient
import TickerCore
import TickerServer

/// A self-signed certificate for 127.0.0.1, made with the `openssl` command (CI installs it).
struct TestCertificate {
    let certificatePath: String
    let keyPath: String

    static func make() async throws -> TestCertificate {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ticker-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificate = TestCertificate(
            certificatePath: folder.appendingPathComponent("cert.pem").path, keyPath: folder.appendingPathComponent("key.pem").path)
        let run = try await BinaryRun.program(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", certificate.keyPath, "-out", certificate.certificatePath,
            ])
        guard run.status == 0 else { throw TestFailure("openssl failed: \(run.stderr)") }
        return certificate
    }

    /// The server's side: this certificate and its key.
    var serverFiles: TickerServerConfiguration.TLSFiles {
        .init(certificateChainPath: certificatePath, privateKeyPath: keyPath)
    }

    /// A client configuration that trusts this certificate only.
    var clientTLS: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(certificatePath)
        return tls
    }
}

@Suite("TLS: wss:// and https:// with --tls-cert and --tls-key", .timeLimit(.minutes(2)))
struct TLSTests {
    @Test("over wss:// a client that trusts the certificate gets the handshake, ticker.v1 and the feed; HTTPS serves the API")
    func secureFeed() async throws {
        let certificate = try await TestCertificate.make()
        try await TestServer.with({
            $0.tls = certificate.serverFiles
        }) { server, _ in
            let url = try WebSocketURL("wss://127.0.0.1:\(server.port)/ws")
            #expect(url.description == "wss://127.0.0.1:\(server.port)/ws")
            let connection = try await WebSocketConnection.connect(to: url, tls: certificate.clientTLS)
            let socket = TestSocket(connection: connection, timeout: .seconds(20))
            #expect(connection.negotiatedProtocol == TickerProtocol.name)
            guard case .welcome = try await socket.next() else { throw TestFailure("no welcome over TLS") }
            socket.send(.subscribe(symbols: ["AAPL"]))
            _ = try await socket.next(where: \.isQuotes)
            connection.close()
            #expect(await socket.closing().code == 1000)

            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = certificate.clientTLS
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { _ = client.shutdown() }
            let response = try await client.execute(
                HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/api/quotes?symbols=AAPL"), timeout: .seconds(20))
            #expect(response.status == .ok)
        }
    }

    @Test("an untrusted certificate and a plain ws:// client are both refused; the server keeps serving")
    func refusals() async throws {
        let certificate = try await TestCertificate.make()
        try await TestServer.with({
            $0.tls = certificate.serverFiles
        }) { server, _ in
            // The system's roots do not include a self-signed test certificate: the TLS handshake is what fails (the
            // server was reachable: it is serving).
            do {
                _ = try await WebSocketConnection.connect(to: try WebSocketURL("wss://127.0.0.1:\(server.port)/ws"))
                Issue.record("an untrusted certificate was accepted")
            } catch {
                let text = "\(error)"
                #expect(!text.contains("refused") && !text.contains("ECONNREFUSED"), "\(text)")
                #expect(text.contains("certificate") || text.contains("CERTIFICATE") || text.contains("handshake"), "\(text)")
            }
            // A plain ws:// client reaches the port, but the TLS server answers its cleartext upgrade with no 101.
            do {
                let plain = try await WebSocketConnection.connect(
                    to: try WebSocketURL("ws://127.0.0.1:\(server.port)/ws"), connectTimeout: .seconds(5))
                let socket = TestSocket(connection: plain, timeout: .seconds(10))
                Issue.record("a cleartext handshake was upgraded: \(await socket.nextEvent())")
            } catch {
                #expect(!"\(error)".contains("connection refused"), "the port was reachable: \(error)")
            }
            let connection = try await WebSocketConnection.connect(
                to: try WebSocketURL("wss://127.0.0.1:\(server.port)/ws"), tls: certificate.clientTLS)
            guard case .welcome = try await TestSocket(connection: connection, timeout: .seconds(20)).next() else {
                throw TestFailure("a good client was not served after the refusals")
            }
        }
    }

    @Test("ticker watch --headless follows a wss:// server with --tls-ca; serve rejects half a TLS configuration")
    func binary() async throws {
        let certificate = try await TestCertificate.make()
        try await TestServer.with({
            $0.tls = certificate.serverFiles
            $0.activity = 1
        }) { server, _ in
            let run = try await BinaryRun.ticker([
                "watch", "--headless", "--format", "jsonl", "--url", "wss://127.0.0.1:\(server.port)/ws", "--tls-ca",
                certificate.certificatePath, "--symbols", "AAPL", "--count", "2",
            ])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains(#""event":"open""#) && run.stdout.contains(#""event":"quote""#))
        }
        let half = try await BinaryRun.ticker(["serve", "--port", "0", "--tls-cert", certificate.certificatePath])
        #expect(half.status != 0 && half.stderr.contains("--tls-cert and --tls-key go together"), "\(half.stderr)")
        let wrongKey = try await BinaryRun.ticker([
            "serve", "--port", "0", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.certificatePath,
        ])
        #expect(wrongKey.status != 0 && wrongKey.stderr.contains("cannot read a PEM private key"), "\(wrongKey.stderr)")
    }
}
