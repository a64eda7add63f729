import TickerClient
import TickerCore

/// Everything `ticker tour` shows: the chapter on screen, the index, and each chapter's live evidence. Immutable to
/// the view; ``TourUpdate`` makes the next one.
public struct TourModel: Sendable, Hashable {
    /// The server the tour talks to (`ws://…/ws`).
    public var url: String
    public var chapter: TourChapter = .polling
    public var showingIndex = false
    /// The index's highlighted chapter.
    public var indexSelection: TourChapter = .polling
    public var width: Int
    public var height: Int
    /// Microseconds since the epoch.
    public var now: Int64
    public var polling = PollingLab()
    public var longPolling = LongPollingLab()
    public var webSocket = WebSocketLab()
    public var backpressure = BackpressureLab()

    public init(url: String, now: Int64, width: Int = 100, height: Int = 30) {
        self.url = url
        self.now = now
        self.width = width
        self.height = height
    }
}

/// What happens to the tour: keys, the terminal, the clock, and what each chapter's live runner reports.
public enum TourMessage: Sendable, Hashable {
    case key(Key)
    case resize(width: Int, height: Int)
    case clock(now: Int64)
    case interrupt
    /// Chapter 1: the push connection's start and ticks (the polled symbols it changed), and each poll's answer.
    case pollingPushStarted(seq: UInt64, tickMilliseconds: Int, path: String)
    case pollingPushed(seq: UInt64, changed: [String])
    case polled(PollingLab.Answer)
    case pollFailed(String)
    /// Chapter 2: each hanging request, its answer (seq nil: 204), and the push frames for the same symbols.
    case longPollIssued(since: UInt64, path: String)
    case longPollAnswered(status: Int, seq: UInt64?, bytesUp: Int, bytesDown: Int)
    case longPollFailed(String)
    case longPollPushed(bytes: Int)
    /// Chapters 3 to 6 and 8: the tour's WebSocket client (a fresh one starts with `clientStarted`).
    case clientStarted
    case client(ClientEvent)
    case bufferedAmount(Int)
    case flooded(count: Int, bufferedAmount: Int)
    case dropped
    /// Chapter 7.
    case backpressure(BackpressureLab.Event)
}

/// What an update asks the tour's runners to do.
public enum TourCommand: Sendable, Hashable {
    /// Start the chapter's live part (and stop the previous chapter's).
    case enter(TourChapter)
    case setPollInterval(milliseconds: Int)
    /// Send a message on the tour's WebSocket client.
    case send(ClientMessage)
    case close
    case open
    case drop
    case flood
    case restartBackpressure
    case quit
}
