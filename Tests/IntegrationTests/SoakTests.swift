import Foundation
import Testing

extension ExternalProcesses {
    @Suite("Soak: connect/subscribe/disconnect cycles leave no connection, task, descriptor or memory behind", .timeLimit(.minutes(3)))
    struct SoakTests {
        struct Report: Decodable {
            struct Sample: Decodable {
                var fds: Int
                var rssKiB: Int
                var threads: Int
            }
            struct Health: Decodable {
                var connections: Int
                var sessions: Int
                var streams: Int
                var longPolls: Int
            }
            var cycles: Int
            var failures: Int
            var baseline: Sample
            var after: Sample
            var health: Health
            var leaked: Bool
        }

        @Test("600 cycles (clean close, dropped socket, reset) through scripts/soak.py against the binary")
        func cycles() async throws {
            let server = try ChildProcess(try TickerBinary.url(), ["serve", "--port", "0", "--tick-ms", "50", "--log-level", "error"])
            let line = try await server.line("the server's URL") { $0.contains("ws://127.0.0.1:") }
            let afterHost = try #require(line.range(of: "ws://127.0.0.1:")).upperBound
            let port = try #require(Int(line[afterHost...].prefix { $0.isNumber }))
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/soak.py")
                .standardizedFileURL.path
            let run = try await BinaryRun.program(
                "python3",
                [
                    script, "--port", "\(port)", "--server-pid", "\(server.pid)", "--cycles", "600", "--warmup-cycles", "100",
                    "--concurrency", "16", "--max-seconds", "60",
                ], timeout: .seconds(120))
            let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
            #expect(report.cycles == 600 && report.failures == 0, "\(run.stdout)")
            #expect(report.health.connections == 0 && report.health.sessions == 0, "connections or session tasks leaked: \(run.stdout)")
            #expect(report.after.fds <= report.baseline.fds + 2, "descriptors leaked: \(run.stdout)")
            #expect(report.after.rssKiB <= report.baseline.rssKiB + 8192, "memory grew: \(run.stdout)")
            #expect(!report.leaked && run.status == 0, "\(run.stdout)\(run.stderr)")
            server.kill(signal: SIGTERM)
        }
    }
}
