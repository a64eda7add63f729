import Synchronization

/// One client style while it runs: its proxy, what it received and how many requests (or frames) it took.
public final class StyleRun: Sendable {
    public let style: String
    /// "requests" for the HTTP styles, "frames" or "events" for the push styles.
    public let requestsLabel: String
    public let proxy: CountingProxy
    let observations = Mutex<[Observation]>([])
    let requests = Atomic<Int>(0)
    /// When the style stops: far away until every style is ready, then the end of the window plus a grace period.
    private let stopAt = Mutex(ContinuousClock.now + .seconds(3600))
    private let readiness: AsyncStream<Void>.Continuation
    private let isReady = Atomic<Bool>(false)

    init(style: String, requestsLabel: String, proxy: CountingProxy, readiness: AsyncStream<Void>.Continuation) {
        self.style = style
        self.requestsLabel = requestsLabel
        self.proxy = proxy
        self.readiness = readiness
    }

    /// Says the style follows the feed now (it has its first snapshot, event or answer); the window opens when all have.
    func markReady() {
        if !isReady.exchange(true, ordering: .relaxed) { readiness.yield() }
    }

    var deadline: ContinuousClock.Instant {
        get { stopAt.withLock { $0 } }
        set { stopAt.withLock { $0 = newValue } }
    }

    /// True until the deadline.
    var running: Bool { ContinuousClock.now < deadline && !Task.isCancelled }

    /// Returns at the deadline (which is set once every style is ready).
    func waitForDeadline() async {
        while running { try? await Task.sleep(until: min(deadline, .now + .milliseconds(100))) }
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

        /// The counts since `earlier` (same style).
        func subtracting(_ earlier: Progress) -> Progress {
            Progress(
                style: style, quotesReceived: quotesReceived - earlier.quotesReceived, requests: requests - earlier.requests,
                requestsLabel: requestsLabel, bytesUp: bytesUp - earlier.bytesUp, bytesDown: bytesDown - earlier.bytesDown)
        }
    }

    func observe(_ new: [Observation]) {
        observations.withLock { $0.append(contentsOf: new) }
    }

    func countRequest() {
        requests.add(1, ordering: .relaxed)
    }
}
