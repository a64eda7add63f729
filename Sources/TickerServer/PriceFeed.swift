import NIOCore
import ServiceLifecycle
import TickerCore

/// The feed's clock: steps the simulator every tick interval and hands each tick to the fan-out.
///
/// It ticks on an event loop's timer rather than in a task, so the feed keeps time however busy Swift's cooperative
/// pool is (HTTP handlers, long polls). When a tick's work overran the interval, the missed slots are skipped (no
/// burst of catch-up ticks), so `seq` stays gap-free and the tick rate never exceeds the configured one.
struct PriceFeed: Service {
    let simulator: PriceSimulator
    let interval: Duration
    let fanOut: FanOut
    let eventLoop: any EventLoop

    func run() async throws {
        let ticker = Ticker(simulator: simulator, interval: TimeAmount(interval), fanOut: fanOut, eventLoop: eventLoop)
        eventLoop.execute { ticker.start() }
        try? await gracefulShutdown()
        try? await eventLoop.submit { ticker.stop() }.get()
    }

    /// The simulator and its timer, on the feed's event loop.
    private final class Ticker: @unchecked Sendable {
        private var simulator: PriceSimulator
        private let interval: TimeAmount
        private let fanOut: FanOut
        private let eventLoop: any EventLoop
        private var next: Scheduled<Void>?
        private var deadline = NIODeadline.now()
        private var stopped = false

        init(simulator: PriceSimulator, interval: TimeAmount, fanOut: FanOut, eventLoop: any EventLoop) {
            self.simulator = simulator
            self.interval = interval
            self.fanOut = fanOut
            self.eventLoop = eventLoop
        }

        func start() {
            deadline = .now()
            schedule()
        }

        func stop() {
            stopped = true
            next?.cancel()
        }

        private func schedule() {
            guard !stopped else { return }
            deadline = max(deadline + interval, .now())
            next = eventLoop.scheduleTask(deadline: deadline) { [self] in
                fanOut.publish(simulator.step(timestamp: fanOut.configuration.nowMicroseconds))
                schedule()
            }
        }
    }
}

extension PriceFeed: CustomStringConvertible {
    var description: String { "PriceFeed(\(simulator.catalog.count) symbols, every \(interval))" }
}
