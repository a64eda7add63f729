import Testing

/// The suites that start browsers, terminals, load generators and binary servers: one at a time. Two cores cannot run
/// Chromium, tmux sessions, `ticker bench` and a soak at once and still give the rest of the suite (in-process servers
/// and their clients, run in parallel meanwhile) the CPU its real-time assertions need.
@Suite("Suites with external processes, one at a time", .serialized)
struct ExternalProcesses {}
