import TickerClient
import TickerCore

/// The dashboard's only state transition: `update(model, message)` returns the next model and the side effects to run.
public enum DashboardUpdate {
    public static func update(_ model: DashboardModel, _ message: DashboardMessage) -> (DashboardModel, [DashboardCommand]) {
        var model = model
        var commands: [DashboardCommand] = []
        switch message {
        case .resize(let width, let height):
            model.width = width
            model.height = height
        case .clock(let now):
            model.now = now
        case .bufferedAmount(let bytes):
            model.bufferedAmount = bytes
        case .client(let event, let now):
            model.now = now
            apply(event, to: &model)
            // A chart's history is fetched on each (re)connection: what was missed while away fills in.
            if case .open = event, let chart = model.chart { commands = [.fetchHistory(chart.symbol)] }
        case .history(let symbol, let points):
            if model.chart?.symbol == symbol { model.chart?.merge(history: points) }
        case .historyFailed(let symbol, let reason):
            if model.chart?.symbol == symbol, model.chart?.history == .loading { model.chart?.history = .failed(reason) }
        case .server(let sample):
            model.server?.connectedClients = sample.connectedClients
            model.server?.framesPerSecond = sample.framesPerSecond
            model.server?.bytesPerSecond = sample.bytesPerSecond
            model.server?.conflatedTicks = sample.conflatedTicks
            model.server?.ticks = sample.ticks
        case .serverLog(let line):
            if var server = model.server {
                server.logLines = Array((server.logLines + [line]).suffix(50))
                model.server = server
            }
        case .frameTimed(let microseconds):
            // Smoothed over about 20 frames, so the figure is readable while it changes.
            model.viewMicroseconds = model.viewMicroseconds.map { $0 + (Double(microseconds) - $0) / 20 } ?? Double(microseconds)
        case .interrupt:
            model.readyState = model.readyState == .open ? .closing : model.readyState
            commands = [.quit]
        case .key(let key):
            if model.prompt != nil {
                commands = handlePrompt(key, model: &model)
            } else {
                commands = handle(key, model: &model)
            }
        }
        keepSelectionVisible(&model)
        return (model, commands)
    }

    private static func apply(_ event: ClientEvent, to model: inout DashboardModel) {
        let now = model.now
        func log(_ kind: EventLogEntry.Kind, _ text: String) {
            model.events.append(EventLogEntry(time: now, kind: kind, text: text))
            if model.events.count > DashboardModel.eventLogLimit {
                model.events.removeFirst(model.events.count - DashboardModel.eventLogLimit)
            }
        }
        switch event {
        case .connecting(let attempt):
            model.readyState = .connecting
            log(.connecting, attempt == 0 ? "CONNECTING \(model.url)" : "CONNECTING \(model.url) (retry \(attempt))")
        case .open(let negotiated, let handshake):
            model.readyState = .open
            model.negotiatedProtocol = negotiated
            model.handshake = handshake
            model.stats.recordOpen()
            model.status = nil
            // The extension the 101 agreed to (its parameters are in the handshake pane).
            let extensions = handshake.responseHeader("Sec-WebSocket-Extensions").map {
                ", extension " + ($0.split(separator: ";").first.map(String.init) ?? $0)
            }
            log(.open, "open: protocol \(negotiated ?? "(none)")" + (extensions ?? ""))
        case .message(let message, let receivedAt, let bytes, let wireBytes):
            let previousSeq = model.stats.lastSeq
            model.market.apply(message, receivedAt: receivedAt)
            if let chart = model.chart { model.chart = extended(chart, by: message) }
            model.stats.recordMessage(message, receivedAt: receivedAt, bytes: bytes, wireBytes: wireBytes)
            switch message {
            case .quotes(_, _, _, let conflated, let resumed):
                model.quotesMessages += 1
                if resumed == true {
                    log(.message, "resumed from seq \(previousSeq) on \(model.node ?? "the server") (\(conflated ?? 0) ticks folded)")
                } else if let conflated {
                    log(.message, "message: quotes, \(conflated) earlier tick(s) conflated")
                }
            case .welcome(let symbols, let tick, let heartbeat, _, _, let node):
                model.tickMilliseconds = tick
                model.node = node
                let on = node.map { ", node \($0)" } ?? ""
                log(.message, "message: welcome, \(symbols.count) symbols, tick \(tick) ms, heartbeat \(heartbeat) ms\(on)")
            case .subscribed(let symbols):
                log(.message, "message: subscribed, \(symbols.count) symbol(s)")
            case .snapshot(let seq, _, let quotes, _, let resumed):
                if resumed == false {
                    log(.message, "resynchronised (new epoch): snapshot of \(quotes.count) quote(s) at seq \(seq)")
                } else {
                    log(.message, "message: snapshot, \(quotes.count) quote(s) at seq \(seq)")
                }
            case .heartbeat(let seq, _):
                log(.message, "message: heartbeat at seq \(seq)")
            case .pong(_, _):
                // The feed client's clock pings: the best round trip so far and the server's clock against ours.
                let clock = model.stats.clock.best.map {
                    ", round trip \(Formatting.duration(microseconds: $0.roundTrip)), server clock \(Formatting.offset(microseconds: $0.offset))"
                }
                log(.message, "message: pong" + (clock ?? ""))
            case .error(let code, let text, _):
                model.status = "server: \(code.rawValue): \(text)"
                log(.error, "message: error \(code.rawValue): \(text)")
            }
        case .error(let description):
            model.status = description
            log(.error, "error: \(description)")
        case .close(let code, let reason, let wasClean):
            model.readyState = .closed
            let codeText = code.map(String.init) ?? "1006"
            let detail = reason.isEmpty ? (wasClean ? "" : " (no close frame)") : " \(reason)"
            log(.close, "close: \(codeText)\(detail)")
        case .frame(let record):
            model.frames.append(record)
            if model.frames.count > DashboardModel.frameLogLimit { model.frames.removeFirst(model.frames.count - DashboardModel.frameLogLimit) }
        case .reconnectScheduled(let attempt, let delay):
            let seconds = delay.seconds
            log(.reconnect, "reconnecting in \(String(format1: seconds)) s (attempt \(attempt))")
        }
    }

    /// The chart with the point of its symbol that a `quotes` or `snapshot` message carries.
    private static func extended(_ chart: ChartState, by message: ServerMessage) -> ChartState {
        var chart = chart
        switch message {
        case .quotes(let seq, let ts, let quotes, _, _), .snapshot(let seq, let ts, let quotes, _, _):
            if let quote = quotes.first(where: { $0.symbol == chart.symbol }) {
                chart.append(PriceHistory.Point(seq: seq, ts: ts, price: quote.price, volume: quote.volume))
            }
        default: break
        }
        return chart
    }

    private static func handle(_ key: Key, model: inout DashboardModel) -> [DashboardCommand] {
        if model.showHelp {
            model.showHelp = false
            return key == .character("q") ? [.quit] : []
        }
        if let chart = model.chart { return handleChart(key, chart: chart, model: &model) }
        let rows = model.orderedSymbols.count
        let page = max(1, DashboardLayout(model).visibleRows - 1)
        switch key {
        case .up, .character("k"): model.selection = max(0, model.selection - 1)
        case .down, .character("j"): model.selection = min(max(0, rows - 1), model.selection + 1)
        case .pageUp: model.selection = max(0, model.selection - page)
        case .pageDown: model.selection = min(max(0, rows - 1), model.selection + page)
        case .home, .character("g"): model.selection = 0
        case .end, .character("G"): model.selection = max(0, rows - 1)
        case .character("s"): model.sort = model.sort.next
        case .character("p"): model.frozenMarket = model.isPaused ? nil : model.market
        case .character("e"): model.showEvents.toggle()
        case .character("h"): model.showHandshake.toggle()
        case .character("w"): model.showFrames.toggle()
        case .character("?"): model.showHelp = true
        case .character("a"): model.prompt = ""
        case .enter:
            if let symbol = model.selectedSymbol {
                model.chart = ChartState(symbol: symbol)
                return [.fetchHistory(symbol)]
            }
        case .character("d"):
            if let symbol = model.selectedSymbol {
                model.status = "unsubscribing \(symbol)"
                return [.unsubscribe([symbol])]
            }
        case .character("q"), .escape:
            if key == .escape { return [] }
            model.readyState = model.readyState == .open ? .closing : model.readyState
            return [.quit]
        default: break
        }
        return []
    }

    /// Keys of the detail view: `Esc` back to the table, `←`/`→` the previous or next symbol (in the table's order),
    /// `c` candles or line, `+`/`-` a shorter or longer time frame.
    private static func handleChart(_ key: Key, chart: ChartState, model: inout DashboardModel) -> [DashboardCommand] {
        switch key {
        case .escape:
            model.chart = nil
            if let index = model.orderedSymbols.firstIndex(of: chart.symbol) { model.selection = index }
        case .left, .right:
            let symbols = model.orderedSymbols
            guard !symbols.isEmpty else { return [] }
            let index = symbols.firstIndex(of: chart.symbol) ?? (key == .right ? -1 : 0)
            let next = (index + (key == .right ? 1 : symbols.count - 1)) % symbols.count
            model.selection = next
            model.chart = ChartState(symbol: symbols[next], candles: chart.candles, timeFrameIndex: chart.timeFrameIndex)
            return [.fetchHistory(symbols[next])]
        case .character("c"): model.chart?.candles.toggle()
        case .character("+"), .character("="): model.chart?.timeFrameIndex = max(0, chart.timeFrameIndex - 1)
        case .character("-"), .character("_"): model.chart?.timeFrameIndex = min(ChartState.timeFrames.count - 1, chart.timeFrameIndex + 1)
        case .character("p"): model.frozenMarket = model.isPaused ? nil : model.market
        case .character("?"): model.showHelp = true
        case .character("q"):
            model.readyState = model.readyState == .open ? .closing : model.readyState
            return [.quit]
        default: break
        }
        return []
    }

    private static func handlePrompt(_ key: Key, model: inout DashboardModel) -> [DashboardCommand] {
        var text = model.prompt ?? ""
        switch key {
        case .escape:
            model.prompt = nil
            return []
        case .enter:
            model.prompt = nil
            let symbol = text.trimmingSpaces.uppercased()
            guard !symbol.isEmpty else { return [] }
            model.status = "subscribing \(symbol)"
            return [.subscribe([symbol])]
        case .backspace:
            if !text.isEmpty { text.removeLast() }
        case .tab:
            text = completions(for: text, in: model).first ?? text
        case .character(let character) where !character.isNewline:
            text.append(Character(character.uppercased()))
        default:
            break
        }
        model.prompt = String(text.prefix(16))
        return []
    }

    /// The symbols of the universe starting with `prefix`, not yet subscribed.
    static func completions(for prefix: String, in model: DashboardModel) -> [String] {
        let wanted = prefix.uppercased()
        let subscribed = Set(model.market.subscriptionOrder)
        return model.market.available.map(\.symbol).filter { $0.hasPrefix(wanted) && !subscribed.contains($0) }
    }

    private static func keepSelectionVisible(_ model: inout DashboardModel) {
        let rows = model.orderedSymbols.count
        model.selection = min(max(0, model.selection), max(0, rows - 1))
        let visible = DashboardLayout(model).visibleRows
        guard visible > 0 else { return }
        if model.selection < model.scroll { model.scroll = model.selection }
        if model.selection >= model.scroll + visible { model.scroll = model.selection - visible + 1 }
        model.scroll = min(model.scroll, max(0, rows - visible))
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
