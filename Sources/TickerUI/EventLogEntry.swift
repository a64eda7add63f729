/// One line of the events pane: a lifecycle event or a non-quote message, as it happened.
public struct EventLogEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case connecting, open, message, error, close, reconnect
    }

    /// Microseconds since the epoch.
    public var time: Int64
    public var kind: Kind
    public var text: String

    public init(time: Int64, kind: Kind, text: String) {
        self.time = time
        self.kind = kind
        self.text = text
    }
}
