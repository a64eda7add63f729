import Synchronization

/// Runs the tour's Model-Update-View loop: messages are applied in order by ``TourUpdate``; the view is drawn at most
/// 30 times a second from the newest model; each update's commands go to `perform`, and `observe` sees every new
/// model (the headless tour's script and its end).
public final class TourProgram: Sendable {
    private let messages: AsyncStream<TourMessage>
    private let messageContinuation: AsyncStream<TourMessage>.Continuation
    private let latest: Mutex<TourModel>
    private let render: (@Sendable (CellGrid) -> Void)?
    private let perform: @Sendable (TourCommand) -> Void
    private let observe: @Sendable (TourModel, TourProgram) -> Bool

    /// - Parameters:
    ///   - render: receives each new view; nil draws nothing (headless).
    ///   - observe: sees each new model (and may send the program messages); returning false ends the loop.
    public init(
        model: TourModel, render: (@Sendable (CellGrid) -> Void)?, perform: @escaping @Sendable (TourCommand) -> Void,
        observe: @escaping @Sendable (TourModel, TourProgram) -> Bool = { _, _ in true }
    ) {
        latest = Mutex(model)
        (messages, messageContinuation) = AsyncStream.makeStream(of: TourMessage.self)
        self.render = render
        self.perform = perform
        self.observe = observe
    }

    /// Queues a message (from any task or thread).
    public func send(_ message: TourMessage) {
        messageContinuation.yield(message)
    }

    /// The newest model.
    public var model: TourModel { latest.withLock { $0 } }

    /// Processes messages until an update asks to quit, or `observe` says stop.
    public func run() async {
        let (dirty, dirtyContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            if let render {
                group.addTask { [self] in
                    var shown: CellGrid?
                    for await _ in dirty {
                        let grid = TourView.render(model)
                        if grid != shown {
                            render(grid)
                            shown = grid
                        }
                        try? await Task.sleep(for: DashboardProgram.frameInterval)
                    }
                }
            }
            dirtyContinuation.yield()
            for await message in messages {
                let (next, commands) = TourUpdate.update(model, message)
                latest.withLock { $0 = next }
                dirtyContinuation.yield()
                for command in commands { perform(command) }
                if commands.contains(.quit) || !observe(next, self) { break }
            }
            dirtyContinuation.finish()
            group.cancelAll()
        }
        if let render { render(TourView.render(model)) }
    }
}
