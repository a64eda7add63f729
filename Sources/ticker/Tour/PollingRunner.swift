import Foundation
import NIOCore
import TickerClient
import TickerCore
import TickerUI

/// Chapter 1 live: `GET /api/quotes` on a timer the keys change, beside the push side that sees every change.
enum PollingRunner {
    struct Body: Decodable {
        var seq: UInt64
    }

    static func run(url: WebSocketURL, http: TourHTTP, interval: @escaping @Sendable () -> Int, send: @escaping @Sendable (TourMessage) -> Void) async
    {
        let push: PushFollower
        do {
            push = try await PushFollower.connect(to: url)
        } catch {
            send(.pollFailed("the push side could not connect: \(error)"))
            return
        }
        let path = "/api/quotes?symbols=\(push.symbols.joined(separator: ","))"
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await push.follow(
                    snapshot: { send(.pollingPushStarted(seq: $0, tickMilliseconds: push.tickMilliseconds, path: path)) },
                    quotes: { seq, changed, _ in send(.pollingPushed(seq: seq, changed: changed)) })
            }
            group.addTask {
                var next = ContinuousClock.now
                while !Task.isCancelled {
                    // The keys' choice once the program has made one; until then, the chapter's starting timer.
                    let chosen = interval()
                    let every = chosen > 0 ? chosen : TourUpdate.slowPollInterval(tick: push.tickMilliseconds)
                    let started = ContinuousClock.now
                    do {
                        let response = try await http.get(path, timeout: .seconds(10))
                        let body = try JSONDecoder().decode(Body.self, from: response.body)
                        send(
                            .polled(
                                PollingLab.Answer(
                                    seq: body.seq, status: response.status, bytesUp: response.bytesUp, bytesDown: response.bytesDown,
                                    elapsedMicroseconds: (ContinuousClock.now - started).microseconds, intervalMilliseconds: every)))
                    } catch {
                        if Task.isCancelled { break }
                        send(.pollFailed("\(error)"))
                    }
                    next = max(next.advanced(by: .milliseconds(every)), .now)
                    try? await Task.sleep(until: next)
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
