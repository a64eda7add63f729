import TickerClient
import TickerCore

/// The `--format jsonl` records: one JSON object per lifecycle event and one per quote update.
enum JSONLines {
    /// `clock` is the connection's estimate of the server's clock offset: quote latencies are corrected by it.
    static func lines(for event: ClientEvent, now: Int64, clock: ClockOffset = ClockOffset()) -> [String] {
        func record(_ kind: StaticString, _ body: (inout JSONWriter) -> Void) -> String {
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("event")
            writer.string("\(kind)")
            writer.key("at")
            writer.integer(now)
            body(&writer)
            writer.endObject()
            return String(decoding: writer.bytes, as: UTF8.self)
        }
        switch event {
        case .frame:
            return []
        case .connecting(let attempt):
            return [
                record("connecting") {
                    $0.key("attempt"); $0.integer(attempt)
                }
            ]
        case .open(let negotiated, let handshake):
            return [
                record("open") {
                    $0.key("protocol")
                    if let negotiated { $0.string(negotiated) } else { $0.null() }
                    $0.key("status")
                    $0.string(handshake.response.first ?? "")
                    $0.key("extensions")
                    if let extensions = handshake.responseHeader("Sec-WebSocket-Extensions") { $0.string(extensions) } else { $0.null() }
                }
            ]
        case .error(let description):
            return [
                record("error") {
                    $0.key("message"); $0.string(description)
                }
            ]
        case .close(let code, let reason, let wasClean):
            return [
                record("close") {
                    $0.key("code")
                    $0.integer(code ?? 1006)
                    $0.key("reason")
                    $0.string(reason)
                    $0.key("wasClean")
                    $0.boolean(wasClean)
                }
            ]
        case .reconnectScheduled(let attempt, let delay):
            return [
                record("reconnect") {
                    $0.key("attempt")
                    $0.integer(attempt)
                    $0.key("delayMs")
                    $0.integer(delay.milliseconds)
                }
            ]
        case .message(let message, let receivedAt, _, _):
            switch message {
            case .quotes(let seq, let ts, let quotes, let conflated, let resumed):
                // The answer to a granted resume: said once, then its quotes like any tick's.
                let resumption =
                    resumed == true
                    ? [
                        record("resumed") {
                            $0.key("seq")
                            $0.integer(seq)
                            $0.key("conflated")
                            $0.integer(conflated ?? 0)
                        }
                    ] : []
                return resumption
                    + quotes.map { quote in
                        record("quote") {
                            $0.key("seq")
                            $0.integer(seq)
                            $0.key("ts")
                            $0.integer(ts)
                            $0.key("latencyUs")
                            $0.integer(clock.latency(receivedAt: receivedAt, serverTimestamp: ts))
                            if let conflated {
                                $0.key("conflated")
                                $0.integer(conflated)
                            }
                            $0.key("quote")
                            $0.raw(quote.encodedJSON)
                        }
                    }
            default:
                return [
                    record("message") {
                        $0.key("message"); $0.raw(message.encodedJSON)
                    }
                ]
            }
        }
    }
}
