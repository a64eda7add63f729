import Synchronization
import TickerCore

/// Runs the Model-Update-View loop: messages are applied in order by ``DashboardUpdate``; the view is drawn by a
/// separate loop at most 30 times a second from the newest model, so a fast feed costs updates, not redraws.
/// A view identical to the last one (a clock tick that changed nothing visible) is not sent to the terminal, and the
/// time each view takes is fed back as ``DashboardMessage/frameTimed(microseconds:)`` for the status line.
public final class DashboardProgram: Sendable {
    /// Minimum time between two views.
    public static let frameInterval: Duration = .milliseconds(33)

    private let messages: AsyncStream<DashboardMessage>
    private let messageContinuation: AsyncStream<DashboardMessage>.Continuation
    private let latest: Mutex<DashboardModel>
    private let render: @Sendable (CellGrid) -> Void
    private let perform: @Sendable (DashboardCommand) -> Void

    /// - Parameters:
    ///   - render: receives each new view (the ncurses backend, or nothing in headless mode).
    ///   - perform: runs the update's commands (subscribe, unsubscribe, quit).
    public init(
        model: DashboardModel, render: @escaping @Sendable (CellGrid) -> Void, perform: @escaping @Sendable (DashboardCommand) -> Void
    ) {
        latest = Mutex(model)
        (messages, messageContinuation) = AsyncStream.makeStream(of: DashboardMessage.self)
        self.render = render
        self.perform = perform
    }

    /// Queues a message (from any task or thread).
    public func send(_ message: DashboardMessage) {
        messageContinuation.yield(message)
    }

    /// The newest model.
    public var model: DashboardModel { latest.withLock { $0 } }

    /// Processes messages until an update asks to quit.
    public func run() async {
        let (dirty, dirtyContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                var shown: CellGrid?
                for await _ in dirty {
                    let started = ContinuousClock.now
                    let grid = DashboardView.render(model)
                    let elapsed = ContinuousClock.now - started
                    if grid != shown {
                        render(grid)
                        shown = grid
                    }
                    send(.frameTimed(microseconds: Int(elapsed.microseconds)))
                    try? await Task.sleep(for: Self.frameInterval)
                }
            }
            dirtyContinuation.yield()
            for await message in messages {
                let (next, commands) = DashboardUpdate.update(model, message)
                latest.withLock { $0 = next }
                if case .frameTimed = message { continue }
                dirtyContinuation.yield()
                for command in commands { perform(command) }
                if commands.contains(.quit) { break }
            }
            dirtyContinuation.finish()
            group.cancelAll()
        }
        render(DashboardView.render(model))
    }
}
