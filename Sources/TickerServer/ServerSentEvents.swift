import Foundation
import Hummingbird
import NIOCore
import TickerCore

/// `GET /api/quotes/stream?symbols=...`: the feed as Server-Sent Events (`text/event-stream`), the fourth style the
/// comparison teaches. Push, like the WebSocket, but one-way over a plain HTTP response that never ends.
///
/// - The first event is a `snapshot` of the asked symbols; then one event per tick that changed one of them, with the
///   same JSON as a `quotes` frame and `id:` = `EPOCH:SEQ`. If several ticks pass while an event is being written, the
///   next event carries the latest state of everything they changed.
/// - A client reconnecting with `Last-Event-ID: EPOCH:SEQ` (or a bare `SEQ`, this epoch's) resumes: its first event
///   holds what changed after SEQ (everything asked for, if SEQ is ahead of the feed). From another epoch, it gets a
///   `snapshot` event of the full current state.
/// - A comment line (`: heartbeat SEQ`) goes out when nothing was sent for the heartbeat interval, so proxies and the
///   client know the stream is alive.
///
/// It waits on the same long-poll machinery as `/api/quotes/poll`, so the fan-out has one path for HTTP clients. The
/// caller has counted the stream with `FanOut.openStream()`; the body releases it when it ends.
struct ServerSentEvents {
    let fanOut: FanOut

    func response(symbols: SymbolSet, lastEventID: String?) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let fanOut = self.fanOut
        let epoch = fanOut.epoch
        let resume = lastEventID.flatMap { FeedPosition(text: $0, defaultEpoch: epoch) }.flatMap { $0.epoch == epoch ? $0.seq : nil }
        let heartbeat = fanOut.configuration.heartbeatInterval
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                defer { fanOut.closeStream() }
                // The browser's EventSource waits this long before reconnecting.
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                var since: UInt64
                if let resume {
                    since = resume
                } else {
                    let now = fanOut.currentQuotes(symbols)
                    try await writer.write(
                        Self.event(
                            .snapshot(seq: now.seq, ts: now.ts, quotes: now.quotes, epoch: epoch), id: FeedPosition(epoch: epoch, seq: now.seq)))
                    since = now.seq
                }
                while !Task.isCancelled, !fanOut.isShuttingDown {
                    if let update = await fanOut.longPoll(symbols: symbols, since: since, timeout: heartbeat) {
                        let message = ServerMessage.quotes(seq: update.seq, ts: update.ts, quotes: update.quotes, conflated: nil)
                        try await writer.write(Self.event(message, id: FeedPosition(epoch: epoch, seq: update.seq)))
                        since = update.seq
                    } else if !fanOut.isShuttingDown {
                        try await writer.write(ByteBuffer(string: ": heartbeat \(fanOut.seq)\n\n"))
                    }
                }
                try await writer.finish(nil)
            })
    }

    /// `id: EPOCH:SEQ` and `data: JSON`, then the blank line that ends an event.
    static func event(_ message: ServerMessage, id: FeedPosition) -> ByteBuffer {
        var buffer = ByteBuffer(string: "id: \(id.text)\ndata: ")
        buffer.writeBytes(message.encodedJSON)
        buffer.writeString("\n\n")
        return buffer
    }
}
