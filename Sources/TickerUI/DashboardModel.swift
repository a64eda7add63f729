import TickerClient
import TickerCore

/// Everything the dashboard shows, as one immutable value. Only ``DashboardUpdate/update(_:_:)`` makes the next one.
public struct DashboardModel: Sendable, Hashable {
    /// How long a changed cell stays highlighted.
    public static let flashMicroseconds: Int64 = 600_000
    /// Lines the events pane keeps.
    public static let eventLogLimit = 200
    /// Frames the frames pane keeps.
    public static let frameLogLimit = 200

    public var url: String
    public var readyState = ReadyState.connecting
    public var negotiatedProtocol: String?
    /// The server this connection landed on (`node` in its welcome), when it names itself.
    public var node: String?
    public var handshake: Handshake?
    public var market = MarketState()
    /// While paused, the view shows this copy and the live state keeps updating underneath.
    public var frozenMarket: MarketState?
    public var stats = ConnectionStats()
    public var bufferedAmount = 0
    public var events: [EventLogEntry] = []
    /// The last frames both ways, header decoded (the frames pane, `w`).
    public var frames: [FrameRecord] = []
    public var quotesMessages = 0
    public var width = 80
    public var height = 24
    /// The current time in microseconds since the epoch (drives the clock, the rates and the flashes).
    public var now: Int64 = 0
    /// The selected row, in the current sort order.
    public var selection = 0
    /// The first visible row.
    public var scroll = 0
    public var sort = SortMode.subscribed
    public var showEvents = false
    public var showHandshake = false
    public var showFrames = false
    public var showHelp = false
    /// The add-symbol prompt's text, nil when it is not open.
    public var prompt: String?
    /// A one-line message for the status bar (the last error, a prompt result).
    public var status: String?
    /// Present in `ticker demo`: the server running beside the dashboard.
    public var server: ServerPaneState?
    /// The detail view of one symbol (`Enter`, `--chart`), nil while the table shows.
    public var chart: ChartState?
    /// The feed's tick interval, from `welcome`.
    public var tickMilliseconds: Int?
    /// How long the view takes to draw a frame, smoothed (microseconds); nil until the first frame was timed.
    public var viewMicroseconds: Double?

    public init(url: String, now: Int64 = 0, width: Int = 80, height: Int = 24) {
        self.url = url
        self.now = now
        self.width = width
        self.height = height
    }

    /// The market as the view shows it (frozen while paused).
    public var shownMarket: MarketState { frozenMarket ?? market }

    public var isPaused: Bool { frozenMarket != nil }

    /// The visible order of symbols.
    public var orderedSymbols: [String] { sort.ordered(shownMarket) }

    /// The symbol under the selection, if any.
    public var selectedSymbol: String? {
        let symbols = orderedSymbols
        return symbols.indices.contains(selection) ? symbols[selection] : nil
    }
}

/// An input to ``DashboardUpdate/update(_:_:)``.
public enum DashboardMessage: Sendable, Hashable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// Time passes (clears flashes, moves the clock).
    case clock(now: Int64)
    case client(ClientEvent, now: Int64)
    case bufferedAmount(Int)
    case server(ServerSample)
    case serverLog(String)
    /// SIGINT or SIGTERM: quit whatever the screen is showing.
    case interrupt
    /// The view took this long to draw the last frame. Shown with the next frame; it does not itself redraw.
    case frameTimed(microseconds: Int)
    /// The answer of a ``DashboardCommand/fetchHistory(_:)``: the symbol's recent changes, oldest first.
    case history(symbol: String, points: [PriceHistory.Point])
    /// A ``DashboardCommand/fetchHistory(_:)`` that failed, and why.
    case historyFailed(symbol: String, reason: String)
}

/// A side effect the update asks the runtime to perform.
public enum DashboardCommand: Sendable, Hashable {
    case subscribe([String])
    case unsubscribe([String])
    /// `GET /api/history` for the chart's symbol; answered with ``DashboardMessage/history(symbol:points:)``.
    case fetchHistory(String)
    case quit
}
