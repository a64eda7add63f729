import TickerClient
import TickerCore

/// The tour's own WebSocket connection as chapters 3 to 6 and 8 show it: its handshake, its frames, the four events,
/// readyState's moves, bufferedAmount, and where each connection landed. Fed by the feed client's events.
public struct WebSocketLab: Sendable, Hashable {
    /// Lines and frames kept.
    public static let limit = 200

    public var readyState = ReadyState.closed
    public var handshake: Handshake?
    public var negotiatedProtocol: String?
    public var frames: [FrameRecord] = []
    /// The four events (and the messages' types) as they fired.
    public var events: [String] = []
    /// readyState's moves, with the reason for each.
    public var states: [String] = []
    public var bufferedAmount = 0
    public var bufferedPeak = 0
    public var clock = ClockOffset()
    public var tickMilliseconds: Int?
    /// The symbols the server offers, from its welcome.
    public var universe: [String] = []
    public var lastSeq: UInt64?
    /// Each open connection's landing: the node that served it, and what the 101 said about the path to it.
    public var landings: [String] = []
    /// The node the current connection is on, from its welcome (nil when the server does not name itself).
    public var node: String?
    /// Reconnections that resumed where the client was (`"resumed":true`), and ones that had to start over.
    public var resumes = 0
    /// `quotes` frames received, on every connection.
    public var quotesReceived = 0
    public var resynchronisations = 0

    // Evidence, as it happened.
    public var opened = 0
    public var messages = 0
    public var pongs = 0
    /// Pings and subscribes sent with the chapter's keys, and the answers to them.
    public var userPings = 0
    public var userPongs = 0
    public var userSubscribes = 0
    public var userSubscribesAnswered = 0
    public var closeSent: FrameRecord?
    public var closeReceived: FrameRecord?
    public var lastCloseCode: Int?
    public var lastCloseReason = ""
    /// Set by a drop the user asked for; cleared by the next open, which counts as a reconnection after a drop.
    public var dropPending = false
    public var reconnectsAfterDrop = 0
    /// Messages queued by the last flood, bufferedAmount right after, and the server's answer.
    public var flooded: Int?
    public var rateLimited = false
    public var closedForRateLimit = false
    public var reconnectsAfterRateLimit = 0

    public init() {}

    /// Applies one of the client's events, received at `now`.
    public mutating func apply(_ event: ClientEvent, now: Int64) {
        switch event {
        case .connecting(let attempt):
            move(to: .connecting, attempt == 0 ? "new connection" : "retry \(attempt)", now: now)
        case .open(let negotiated, let handshake):
            self.handshake = handshake
            negotiatedProtocol = negotiated
            opened += 1
            move(to: .open, "101 Switching Protocols, protocol \(negotiated ?? "(none)")", now: now)
            log(now, "open    protocol \(negotiated ?? "(none)")")
            if dropPending {
                dropPending = false
                reconnectsAfterDrop += 1
            }
            if closedForRateLimit { reconnectsAfterRateLimit += 1 }
            let server = handshake.responseHeader("Server").map { " via \($0)" } ?? ""
            landings.append("\(Formatting.clock(microseconds: now))  connection \(opened) landed on \(node(handshake))\(server)")
            if landings.count > Self.limit { landings.removeFirst(landings.count - Self.limit) }
        case .message(let message, let receivedAt, let bytes, _):
            messages += 1
            switch message {
            case .welcome(let symbols, let tick, _, let epoch, let seq, let node):
                tickMilliseconds = tick
                universe = symbols.map(\.symbol)
                self.node = node
                let position = epoch.map { ", epoch \($0) at seq \(seq ?? 0)" } ?? ""
                let on = node.map { ", node \($0)" } ?? ""
                log(now, "message welcome: \(symbols.count) symbols, tick \(tick) ms\(position)\(on) (\(Formatting.grouped(bytes)) B)")
                if let node, let last = landings.indices.last { landings[last] += " (node \(node))" }
            case .subscribed(let symbols):
                if userSubscribes > userSubscribesAnswered { userSubscribesAnswered += 1 }
                log(now, "message subscribed: \(symbols.prefix(4).joined(separator: ","))\(symbols.count > 4 ? ",…" : "")")
            case .snapshot(let seq, _, let quotes, _, let resumed):
                lastSeq = seq
                if resumed == false {
                    resynchronisations += 1
                    log(now, "message snapshot (resumed:false): resynchronised, new epoch, \(quotes.count) quotes at seq \(seq)")
                } else {
                    log(now, "message snapshot: \(quotes.count) quotes at seq \(seq) (\(Formatting.grouped(bytes)) B)")
                }
            case .quotes(let seq, _, let quotes, let conflated, let resumed):
                quotesReceived += 1
                if resumed == true {
                    resumes += 1
                    let line = "resumed from seq \(lastSeq ?? 0) on \(node ?? "the server") (\(conflated ?? 0) ticks folded)"
                    log(now, "message quotes (resumed:true): \(line), \(quotes.count) changed")
                    states.append("\(Formatting.clock(microseconds: now))  \(Formatting.left("", 10)) \(line)")
                } else {
                    let folded = conflated.map { ", \($0) tick(s) conflated" } ?? ""
                    log(now, "message quotes: seq \(seq), \(quotes.count) changed\(folded) (\(Formatting.grouped(bytes)) B)")
                }
                lastSeq = seq
            case .heartbeat(let seq, _):
                log(now, "message heartbeat: seq \(seq)")
            case .pong(let id, let ts):
                pongs += 1
                if id == Self.userPingID { userPongs += 1 }
                if case .number(let sentAt)? = id { clock.record(sentAt: sentAt, serverTime: ts, receivedAt: receivedAt) }
                let roundTrip = clock.best.map { ", best round trip \(Formatting.duration(microseconds: $0.roundTrip))" } ?? ""
                log(now, "message pong\(roundTrip)")
            case .error(let code, let text, _):
                if code == .rateLimited { rateLimited = true }
                log(now, "message error \(code.rawValue): \(text)")
            }
        case .error(let description):
            log(now, "error   \(description)")
        case .close(let code, let reason, let wasClean):
            let shown = code ?? 1006
            lastCloseCode = shown
            lastCloseReason = reason
            if shown == 1008, rateLimited { closedForRateLimit = true }
            move(to: .closed, "close \(shown)\(reason.isEmpty ? "" : " \(reason)")\(wasClean ? "" : " (no close frame)")", now: now)
            log(now, "close   code \(shown)\(reason.isEmpty ? "" : " “\(reason)”"), wasClean \(wasClean)")
        case .reconnectScheduled(_, let delay):
            log(now, "        reconnecting in \(String(format1: delay.seconds)) s")
        case .frame(let record):
            frames.append(record)
            if frames.count > Self.limit { frames.removeFirst(frames.count - Self.limit) }
            if record.opcode == 0x8 {
                if record.direction == .sent { closeSent = record } else { closeReceived = record }
            }
        }
    }

    /// The client was told to close: readyState CLOSING until the server's close frame arrives.
    public mutating func closing(now: Int64) {
        if readyState == .open { move(to: .closing, "close(1000) called: close frame sent", now: now) }
    }

    /// The id of the pings the `p` key sends (the client's own clock pings carry their send time).
    public static let userPingID = PingID.string("you")

    /// A ping or a subscribe was sent with a key.
    public mutating func userSent(_ message: ClientMessage, now: Int64) {
        switch message {
        case .ping:
            userPings += 1
            log(now, "send    ping (id \"you\")")
        case .subscribe(let symbols, _):
            userSubscribes += 1
            log(now, "send    subscribe \(symbols.joined(separator: ","))")
        case .unsubscribe: break
        }
    }

    /// A sample of the client's `bufferedAmount`.
    public mutating func sampled(bufferedAmount amount: Int) {
        bufferedAmount = amount
        bufferedPeak = max(bufferedPeak, amount)
    }

    /// A flood of `count` messages was queued; `buffered` is bufferedAmount right after.
    ///
    /// The server's answer may be reported before this (the flood's report and the client's events travel apart), so
    /// nothing it set is reset here.
    public mutating func flooded(count: Int, buffered: Int, now: Int64) {
        flooded = count
        sampled(bufferedAmount: buffered)
        log(now, "send    × \(count) at once: bufferedAmount \(Formatting.grouped(buffered)) B")
    }

    /// The connection was dropped on purpose (no close frame).
    public mutating func dropped(now: Int64) {
        dropPending = true
        log(now, "        TCP connection dropped, no close frame")
    }

    /// Forgets the previous connection's evidence (a fresh client starts).
    public mutating func restart() {
        self = WebSocketLab()
    }

    /// The server a connection reached: the Host it was sent to (a balancer's, when there is one in front).
    private func node(_ handshake: Handshake) -> String {
        handshake.request.dropFirst().first { $0.lowercased().hasPrefix("host:") }.map { String($0.dropFirst(5)).trimmed } ?? "?"
    }

    private mutating func move(to state: ReadyState, _ why: String, now: Int64) {
        readyState = state
        states.append("\(Formatting.clock(microseconds: now))  \(Formatting.left(state.rawValue, 10)) \(why)")
        if states.count > Self.limit { states.removeFirst(states.count - Self.limit) }
    }

    private mutating func log(_ now: Int64, _ line: String) {
        events.append("\(Formatting.clock(microseconds: now))  \(line)")
        if events.count > Self.limit { events.removeFirst(events.count - Self.limit) }
    }
}

extension String {
    fileprivate var trimmed: String { String(drop { $0 == " " }) }
}
