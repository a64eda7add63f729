import Foundation
import NIOCore
import TickerClient
import TickerCore
import TickerUI

/// Chapter 2 live: one hanging `GET /api/quotes/poll?since=SEQ` after another, beside the push side for the cost of
/// the same updates as frames.
enum LongPollingRunner {
    struct Body: Decodable {
        var seq: UInt64
    }

    /// How long one request may hang before the server answers 204.
    static let waitMilliseconds = 10_000

    static func run(url: WebSocketURL, http: TourHTTP, send: @escaping @Sendable (TourMessage) -> Void) async {
        let push: PushFollower
        do {
            push = try await PushFollower.connect(to: url)
        } catch {
            send(.longPollFailed("the push side could not connect: \(error)"))
            return
        }
        let symbols = push.symbols.joined(separator: ",")
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await push.follow(snapshot: { _ in }, quotes: { _, _, bytes in send(.longPollPushed(bytes: bytes)) })
            }
            group.addTask {
                var since: UInt64?
                while !Task.isCancelled {
                    do {
                        guard let from = since else {
                            // Where to start: the current state's seq.
                            since = try JSONDecoder().decode(Body.self, from: try await http.get("/api/quotes?symbols=\(symbols)").body).seq
                            continue
                        }
                        let path = "/api/quotes/poll?since=\(from)&symbols=\(symbols)&timeoutMs=\(waitMilliseconds)"
                        send(.longPollIssued(since: from, path: "/api/quotes/poll?since=SEQ&symbols=\(symbols)"))
                        let response = try await http.get(path, timeout: .milliseconds(Int64(waitMilliseconds) + 10_000))
                        let seq = response.status == 200 ? try JSONDecoder().decode(Body.self, from: response.body).seq : nil
                        send(.longPollAnswered(status: response.status, seq: seq, bytesUp: response.bytesUp, bytesDown: response.bytesDown))
                        if let seq { since = seq }
                    } catch {
                        if Task.isCancelled { break }
                        send(.longPollFailed("\(error)"))
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
