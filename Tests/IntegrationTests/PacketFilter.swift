import Foundation

/// One loopback TCP connection's packets dropped both ways (nftables), so that to the peer at the other end the host
/// has vanished: no FIN, no RST, no answer to its keepalives. The table is this test process's own; ``lift()``
/// deletes it. `.ci/run` installs Debian's nftables.
struct PacketFilter {
    let table: String

    /// Drops every packet from or to `port` on 127.0.0.1 until ``lift()``.
    static func dropping(port: Int) async throws -> PacketFilter {
        let filter = PacketFilter(table: "ticker_test_\(getpid())_\(port)")
        try await filter.nft(["add", "table", "ip", filter.table])
        try await filter.nft(["add", "chain", "ip", filter.table, "out", "{ type filter hook output priority 0 ; }"])
        try await filter.nft(["add", "rule", "ip", filter.table, "out", "ip", "daddr", "127.0.0.1", "tcp", "sport", "\(port)", "drop"])
        try await filter.nft(["add", "rule", "ip", filter.table, "out", "ip", "daddr", "127.0.0.1", "tcp", "dport", "\(port)", "drop"])
        return filter
    }

    /// Lets the packets through again.
    func lift() async {
        try? await nft(["delete", "table", "ip", table])
    }

    private func nft(_ arguments: [String]) async throws {
        let path = FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") ? "/usr/sbin/nft" : "nft"
        let run = try await BinaryRun.program(path, arguments, timeout: .seconds(10))
        guard run.status == 0 else { throw TestFailure("nft \(arguments.joined(separator: " ")): \(run.stderr)") }
    }
}
