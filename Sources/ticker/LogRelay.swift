import Logging
import Synchronization
import TickerCore

/// Forwards log lines to whoever shows them (the demo's server pane), keeping the last ones until someone does.
final class LogRelay: Sendable {
    private let state = Mutex<(sink: (@Sendable (String) -> Void)?, backlog: [String])>((nil, []))

    func attach(_ sink: @escaping @Sendable (String) -> Void) {
        let backlog = state.withLock { state -> [String] in
            state.sink = sink
            defer { state.backlog = [] }
            return state.backlog
        }
        backlog.forEach(sink)
    }

    func emit(_ line: String) {
        let sink = state.withLock { state -> (@Sendable (String) -> Void)? in
            if state.sink == nil { state.backlog = Array((state.backlog + [line]).suffix(50)) }
            return state.sink
        }
        sink?(line)
    }

    /// A swift-log handler writing `HH:MM:SS level message` lines to this relay.
    func handler(label: String) -> some LogHandler { RelayLogHandler(relay: self) }
}

private struct RelayLogHandler: LogHandler {
    let relay: LogRelay
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let time = WallClock.timeOfDay(microseconds: WallClock.nowMicroseconds())
        relay.emit("\(time) \(event.level) \(event.message)")
    }
}
