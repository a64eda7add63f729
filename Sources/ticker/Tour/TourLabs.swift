import Synchronization
import TickerClient
import TickerCore
import TickerUI

/// The live side of the tour: carries out the update's commands against the server. One chapter's runner at a time
/// (polling, long polling, the stalled reader); the tour's own WebSocket client for the chapters about the
/// WebSocket itself. Everything they see comes back to the program as messages.
final class TourLabs: Sendable {
    /// Messages a flood sends at once: well past any server's per-second allowance.
    static let floodCount = 300

    private let url: WebSocketURL
    private let http: TourHTTP
    private let send: @Sendable (TourMessage) -> Void
    private let pollInterval = Atomic<Int>(0)
    private let state = Mutex(State())

    private struct State {
        var chapter: TourChapter?
        var runner: Task<Void, Never>?
        var client: FeedClient?
        var clientTask: Task<Void, Never>?
        var stopped = false
    }

    /// Chapters shown on the tour's own WebSocket client.
    static let clientChapters: Set<TourChapter> = [.handshake, .frames, .eventsAndMethods, .connectionState, .reverseProxy]

    init(url: WebSocketURL, http: TourHTTP, send: @escaping @Sendable (TourMessage) -> Void) {
        self.url = url
        self.http = http
        self.send = send
    }

    func perform(_ command: TourCommand) {
        switch command {
        case .enter(let chapter): enter(chapter)
        case .setPollInterval(let milliseconds): pollInterval.store(milliseconds, ordering: .relaxed)
        case .send(let message):
            currentClient?.send(message)
        case .close:
            currentClient?.close()
        case .open:
            if !clientRunning { startClient() }
        case .drop:
            guard let client = currentClient else { return }
            send(.dropped)
            client.drop()
        case .flood:
            guard let client = currentClient else { return }
            for index in 0..<Self.floodCount { client.send(.ping(id: .string("flood-\(index)"))) }
            send(.flooded(count: Self.floodCount, bufferedAmount: client.bufferedAmount))
        case .restartBackpressure:
            startRunner(for: .serverBackpressure)
        case .quit:
            stop()
        }
    }

    /// Stops every runner and closes the client.
    func stop() {
        let runner = state.withLock { state -> Task<Void, Never>? in
            state.stopped = true
            defer { state.runner = nil }
            return state.runner
        }
        runner?.cancel()
        stopClient()
    }

    private func enter(_ chapter: TourChapter) {
        let previous = state.withLock { state -> TourChapter? in
            defer { state.chapter = chapter }
            return state.chapter
        }
        if previous == nil || previous != chapter { startRunner(for: chapter) }
        if Self.clientChapters.contains(chapter) {
            if !clientRunning { startClient() }
        } else {
            stopClient()
        }
    }

    private func startRunner(for chapter: TourChapter) {
        let url = url
        let http = http
        let send = send
        let interval: @Sendable () -> Int = { [pollInterval = self] in pollInterval.pollInterval.load(ordering: .relaxed) }
        let body: (@Sendable () async -> Void)?
        switch chapter {
        case .polling: body = { await PollingRunner.run(url: url, http: http, interval: interval, send: send) }
        case .longPolling: body = { await LongPollingRunner.run(url: url, http: http, send: send) }
        case .serverBackpressure: body = { await BackpressureRunner.run(url: url, http: http, send: send) }
        default: body = nil
        }
        let task = body.map { body in Task { await body() } }
        let old = state.withLock { state -> Task<Void, Never>? in
            defer { state.runner = state.stopped ? nil : task }
            return state.runner
        }
        old?.cancel()
        if state.withLock({ $0.stopped }) { task?.cancel() }
    }

    private var currentClient: FeedClient? { state.withLock { $0.client } }

    private var clientRunning: Bool { state.withLock { $0.clientTask != nil && $0.client != nil } }

    private func startClient() {
        var configuration = FeedClient.Configuration(url: url)
        configuration.tapFrames = true
        configuration.failFastOnFirstConnect = false
        let client = FeedClient(configuration: configuration)
        let send = send
        send(.clientStarted)
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await client.run() }
                group.addTask {
                    while !Task.isCancelled {
                        send(.bufferedAmount(client.bufferedAmount))
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
                // Every event to the end, the last close among them; the stream ends when the client does.
                for await event in client.events { send(.client(event)) }
                group.cancelAll()
            }
        }
        replaceClient(with: client, task: task)
        // A client that has ended (closed by the user) is forgotten, so the next chapter or `o` starts a new one.
        Task { [weak self] in
            await task.value
            self?.state.withLock { state in
                if state.client === client {
                    state.client = nil
                    state.clientTask = nil
                }
            }
        }
    }

    private func stopClient() {
        replaceClient(with: nil, task: nil)
    }

    /// Puts `client` (or none) in place of the current one, which is closed.
    private func replaceClient(with client: FeedClient?, task: Task<Void, Never>?) {
        let (old, oldTask) = state.withLock { state -> (FeedClient?, Task<Void, Never>?) in
            defer {
                state.client = client
                state.clientTask = task
            }
            return (state.client, state.clientTask)
        }
        old?.close()
        oldTask?.cancel()
    }
}
