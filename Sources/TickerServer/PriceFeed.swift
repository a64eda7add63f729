import ServiceLifecycle
import TickerCore

/// The feed's clock: steps the simulator every tick interval and hands each tick to the fan-out.
///
/// When a tick's work overran the interval, the missed slots are skipped (no burst of catch-up ticks), so `seq` stays
/// gap-free and the tick rate never exceeds the configured one.
struct PriceFeed: Service {
    let simulator: PriceSimulator
    let interval: Duration
    let fanOut: FanOut

    func run() async throws {
        var simulator = self.simulator
        let clock = ContinuousClock()
        var deadline = clock.now
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            deadline = max(deadline.advanced(by: interval), clock.now)
            let wakeAt = deadline
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(until: wakeAt) }
            } catch {
                return
            }
            fanOut.publish(simulator.step(timestamp: WallClock.nowMicroseconds()))
        }
    }
}

extension PriceFeed: CustomStringConvertible {
    var description: String { "PriceFeed(\(simulator.catalog.count) symbols, every \(interval))" }
}
