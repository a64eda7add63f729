import Synchronization

/// One event loop's share of the fan-out: the ticks for the loop's connections, run on the loop one after the other by
/// a single task at a time. When the loop keeps up, each tick is delivered straight to the sockets. When it has fallen
/// behind (several ticks waiting), the waiting ticks go into the connections' outboxes in order, where they conflate,
/// and each connection is drained once: a slow loop never piles up ticks in its task queue.
final class LoopLane: Sendable {
    /// One tick for this loop's connections: `deliver(true)` writes straight to the sockets, `deliver(false)` queues.
    struct Batch: Sendable {
        var deliver: @Sendable (_ direct: Bool) -> Void
        var connections: [ClientConnection]
    }

    private struct State {
        var running = false
        var pending: [Batch] = []
    }
    private let state = Mutex(State())

    /// Adds a tick. True if no task is running on the loop: the caller must start one that calls ``run()``.
    func submit(_ batch: Batch) -> Bool {
        state.withLock { state in
            state.pending.append(batch)
            defer { state.running = true }
            return !state.running
        }
    }

    /// On the loop: runs the waiting ticks in order until none is left.
    func run() {
        while true {
            let work: [Batch]? = state.withLock { state in
                guard !state.pending.isEmpty else {
                    state.running = false
                    return nil
                }
                defer { state.pending = [] }
                return state.pending
            }
            guard let work else { return }
            if work.count == 1 {
                work[0].deliver(true)
                continue
            }
            var behind: [Int: ClientConnection] = [:]
            for batch in work {
                batch.deliver(false)
                for connection in batch.connections { behind[connection.id] = connection }
            }
            for connection in behind.values { connection.drain() }
        }
    }
}
