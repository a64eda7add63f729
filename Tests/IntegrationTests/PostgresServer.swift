import Foundation
import Testing

/// A throwaway PostgreSQL on loopback: `initdb` into a temporary directory and `pg_ctl start` (as the `postgres` user
/// when the tests run as root, which PostgreSQL refuses), stopped and deleted by ``stop()``. `.ci/run` installs
/// Debian's `postgresql`; its own cluster is not touched.
final class PostgresServer {
    let port: Int
    let directory: URL
    private let bin: URL

    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    private init(port: Int, directory: URL, bin: URL) {
        self.port = port
        self.directory = directory
        self.bin = bin
    }

    static func start() async throws -> PostgresServer {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted(by: { $0.compare($1, options: .numeric) == .orderedAscending }).last else {
            throw TestFailure("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
        }
        let bin = URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ticker-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 { _ = try await BinaryRun.program("chown", ["postgres:postgres", directory.path]) }
        let server = PostgresServer(port: try freePort(), directory: directory, bin: bin)
        let initdb = try await server.asPostgres("initdb", ["-D", server.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
        guard initdb.status == 0 else { throw TestFailure("initdb failed: \(initdb.output)") }
        try await server.startServer()
        return server
    }

    private var data: String { directory.appendingPathComponent("data").path }

    /// `pg_ctl start -w`: returns once the server accepts connections.
    func startServer() async throws {
        let options = "-c listen_addresses=127.0.0.1 -c port=\(port) -c unix_socket_directories=\(directory.path) -c fsync=off"
        let start = try await asPostgres(
            "pg_ctl", ["-D", data, "-l", directory.appendingPathComponent("postgres.log").path, "-w", "-o", options, "start"])
        guard start.status == 0 else { throw TestFailure("pg_ctl start failed: \(start.output)") }
    }

    /// `pg_ctl stop` in a mode: `fast` is a clean shutdown; `immediate` is a crash (unlogged tables are emptied when
    /// the server starts again).
    func stopServer(mode: String = "fast") async throws {
        _ = try await asPostgres("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"])
    }

    /// Sets `password` for the `postgres` role and makes connections over TCP prove it (SCRAM), then reloads.
    func requirePassword(_ password: String) async throws {
        try await sql("ALTER USER postgres PASSWORD '\(password)'")
        let hba = directory.appendingPathComponent("data/pg_hba.conf")
        try "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n".write(to: hba, atomically: false, encoding: .utf8)
        let reload = try await asPostgres("pg_ctl", ["-D", data, "reload"])
        guard reload.status == 0 else { throw TestFailure("pg_ctl reload failed: \(reload.output)") }
    }

    /// Runs SQL with psql and returns its unaligned output.
    @discardableResult
    func sql(_ statement: String) async throws -> String {
        let run = try await BinaryRun.program(
            bin.appendingPathComponent("psql").path,
            ["-X", "-At", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-c", statement])
        guard run.status == 0 else { throw TestFailure("psql \(statement): \(run.stderr)") }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() async {
        try? await stopServer(mode: "immediate")
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a PostgreSQL tool (as the `postgres` user under root) and returns its status and output.
    private func asPostgres(_ tool: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let path = bin.appendingPathComponent(tool).path
        let argv = getuid() == 0 ? ["runuser", "-u", "postgres", "--", path] + arguments : [path] + arguments
        return try await DetachedRun.run(argv, outputDirectory: directory)
    }

    /// A port nothing listens on now (the kernel's choice for a socket bound to port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs `body` with a fresh server, stopping it afterwards whatever happens.
    static func with(_ body: (PostgresServer) async throws -> Void) async throws {
        let server = try await start()
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
