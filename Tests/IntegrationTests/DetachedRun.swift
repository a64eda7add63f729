import Foundation

/// Runs a program that leaves servers running behind it (`pg_ctl start`, `scripts/cluster.sh up`) and returns its
/// status and output once it exits.
///
/// Spawned with `posix_spawn`, every descriptor above 2 closed and the output going to a file: what it leaves running
/// would otherwise inherit the pipes of Foundation's `Process`, and reading them to their end would wait for those
/// servers to exit. Seen here, too: Foundation's `Process` never reported the exit of a script whose background
/// children outlived it (it stayed a zombie), so the exit is awaited with `waitpid` off the cooperative pool.
enum DetachedRun {
    static func run(_ argv: [String], outputDirectory: URL, timeout: Duration = .seconds(120)) async throws -> (status: Int32, output: String) {
        let output = outputDirectory.appendingPathComponent("run-\(UUID().uuidString.prefix(6)).out").path
        let child = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<pid_t, any Error>) in
            spawning.async {
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
                let inherited = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
                for fd in inherited.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
                let cArguments = argv.map { strdup($0) } + [nil]
                defer { cArguments.forEach { free($0) } }
                var pid = pid_t()
                guard posix_spawnp(&pid, argv[0], &actions, nil, cArguments, environ) == 0 else {
                    continuation.resume(throwing: TestFailure("cannot run \(argv[0])"))
                    return
                }
                continuation.resume(returning: pid)
            }
        }
        let watchdog = Task {
            if (try? await Task.sleep(for: timeout)) != nil { kill(child, SIGKILL) }
        }
        defer { watchdog.cancel() }
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            waiting.async {
                var status: Int32 = 0
                waitpid(child, &status, 0)
                continuation.resume(returning: status)
            }
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: output)
        guard status & 0x7F == 0 else { throw TestFailure("\(argv.joined(separator: " ")) was killed (signal \(status & 0x7F)): \(text)") }
        return ((status >> 8) & 0xFF, text)
    }

    private static let spawning = DispatchQueue(label: "detached runs: spawning")
    /// One thread per wait: a run may wait for another to finish (a cluster's `down` while its `up` is still running).
    private static let waiting = DispatchQueue(label: "detached runs: waiting", attributes: .concurrent)
}
