import Foundation
import Testing

extension ExternalProcesses {
    @Suite("scripts/cluster.sh: the one-command cluster", .timeLimit(.minutes(4)))
    struct ClusterScriptTests {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/cluster.sh")
            .standardized

        /// `scripts/cluster.sh COMMAND` with its directory, ports and binary chosen for this test.
        static func cluster(_ command: String, _ settings: [String]) async throws -> (status: Int32, output: String) {
            try await DetachedRun.run(["env"] + settings + ["bash", script.path, command], outputDirectory: FileManager.default.temporaryDirectory)
        }

        static func pid(_ directory: URL, _ name: String) throws -> Int32 {
            let text = try String(contentsOf: directory.appendingPathComponent("\(name).pid"), encoding: .utf8)
            return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), "\(name).pid: \(text)")
        }

        /// Alive and not a zombie (one nobody has reaped yet is gone all the same).
        static func isRunning(_ pid: Int32) -> Bool {
            guard kill(pid, 0) == 0 else { return false }
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
        }

        @Test(
            "up starts PostgreSQL, two feeds, two edges and nginx and prints their URLs; the tour's chapter 8 sees the balancer; ticker watch through it names its node and, that edge killed, resumes on the other; down stops what up started"
        )
        func upWatchKillDown() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ticker-cluster-\(UUID().uuidString.prefix(8))")
            let ports = try (0..<4).map { _ in try PostgresServer.freePort() }
            let settings = [
                "CLUSTER_DIR=\(directory.path)", "CLUSTER_PORT=\(ports[0])", "EDGE_A=\(ports[1])", "EDGE_B=\(ports[2])", "PG_PORT=\(ports[3])",
                "TICKER=\(try TickerBinary.url().path)",
            ]
            let up = try await Self.cluster("up", settings)
            do {
                #expect(up.status == 0, "up: \(up.output)")
                #expect(up.output.contains("balancer  ws://127.0.0.1:\(ports[0])/ws"), "the balancer's URL: \(up.output)")
                for part in ["edge-a    ws://127.0.0.1:\(ports[1])/ws", "edge-b    ws://127.0.0.1:\(ports[2])/ws", "database  postgres://"] {
                    #expect(up.output.contains(part), "\(part): \(up.output)")
                }
                let status = try await Self.cluster("status", settings)
                for name in ["feed-1", "feed-2", "edge-a", "edge-b", "nginx"] {
                    #expect(status.output.contains("\(name): running"), "status: \(status.output)")
                }
                #expect(status.output.components(separatedBy: #""connected":true"#).count == 3, "both edges reach the feed: \(status.output)")

                // The tour's chapter 8 against the real balancer: where each connection landed, and the resume there.
                let tour = try await BinaryRun.ticker(["tour", "--headless", "--chapter", "8", "--url", "ws://127.0.0.1:\(ports[0])/ws"])
                #expect(tour.status == 0, "chapter 8 completes: \(tour.stdout) \(tour.stderr)")
                #expect(tour.stdout.contains("via nginx/") && tour.stdout.contains("(node edge-"), "the balancer and the node: \(tour.stdout)")
                #expect(tour.stdout.contains("resumed from seq"), "the resume on the node it landed on next: \(tour.stdout)")

                // The dashboard's headless mode through the balancer: its node, then that edge killed.
                let watch = try ChildProcess(
                    try TickerBinary.url(), ["watch", "--headless", "--format", "jsonl", "--url", "ws://127.0.0.1:\(ports[0])/ws"])
                defer { watch.kill() }
                let first = try await watch.line("the welcome through the balancer") { $0.contains(#""type":"welcome""#) }
                let node = try #require(first.firstMatch(of: /"node":"(edge-[ab])"/)?.1, "a node in \(first)")
                _ = try await watch.line("a quote") { $0.contains(#""event":"quote""#) }
                kill(try Self.pid(directory, String(node)), SIGKILL)
                let second = try await watch.line(within: .seconds(30), "a welcome from the other edge") { $0.contains(#""type":"welcome""#) }
                let other = try #require(second.firstMatch(of: /"node":"(edge-[ab])"/)?.1, "a node in \(second)")
                #expect(other != node, "moved from \(node) to the other edge")
                let resumed = try await watch.line("the resume") { $0.contains(#""event":"resumed""#) }
                #expect(resumed.contains(#""seq":"#), "resumed, with its seq: \(resumed)")
            } catch {
                _ = try? await Self.cluster("down", settings)
                throw error
            }
            let pids = try ["feed-1", "feed-2", "edge-a", "edge-b", "nginx"].map { try Self.pid(directory, $0) }
            let down = try await Self.cluster("down", settings)
            #expect(down.status == 0 && down.output.contains("cluster: down"), "down: \(down.output)")
            try await eventually("what up started to exit") { !pids.contains(where: Self.isRunning) }
            #expect(!FileManager.default.fileExists(atPath: directory.path), "its directory deleted")
            let again = try await Self.cluster("status", settings)
            #expect(again.output.contains("cluster: down"))
        }
    }
}
