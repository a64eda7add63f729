/// What `ticker demo` shows of the server running beside the dashboard.
public struct ServerPaneState: Sendable, Hashable {
    public var url: String
    public var connectedClients = 0
    public var framesPerSecond = 0
    public var bytesPerSecond = 0
    public var conflatedTicks = 0
    public var ticks = 0
    /// The server's most recent log lines, oldest first.
    public var logLines: [String] = []

    public init(url: String) { self.url = url }
}

/// One sample of the server's counters, fed to the dashboard about once a second.
public struct ServerSample: Sendable, Hashable {
    public var connectedClients: Int
    public var framesPerSecond: Int
    public var bytesPerSecond: Int
    public var conflatedTicks: Int
    public var ticks: Int

    public init(connectedClients: Int, framesPerSecond: Int, bytesPerSecond: Int, conflatedTicks: Int, ticks: Int) {
        self.connectedClients = connectedClients
        self.framesPerSecond = framesPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.conflatedTicks = conflatedTicks
        self.ticks = ticks
    }
}
