import Synchronization

/// One client style while it runs: its proxy, what it received and how many requests (or frames) it took.
public final class StyleRun: Sendable {
    public let style: String
    /// "requests" for the HTTP styles, "frames" or "events" for the push styles.
    public let requestsLabel: String
    public let proxy: CountingProxy
    let observations = Mutex<[Observation]>([])
    let requests = Atomic<Int>(0)

    init(style: String, requestsLabel: String, proxy: CountingProxy) {
        self.style = style
        self.requestsLabel = requestsLabel
        self.proxy = proxy
    }

    /// Counts so far, for the live view.
    public var progress: Progress {
        Progress(
            style: style, quotesReceived: observations.withLock { $0.count }, requests: requests.load(ordering: .relaxed),
            requestsLabel: requestsLabel, bytesUp: proxy.counters.bytesUp.load(ordering: .relaxed),
            bytesDown: proxy.counters.bytesDown.load(ordering: .relaxed))
    }

    public struct Progress: Sendable, Hashable {
        public var style: String
        public var quotesReceived: Int
        public var requests: Int
        public var requestsLabel: String
        public var bytesUp: Int
        public var bytesDown: Int
    }

    func observe(_ new: [Observation]) {
        observations.withLock { $0.append(contentsOf: new) }
    }

    func countRequest() {
        requests.add(1, ordering: .relaxed)
    }
}
