import TickerClient
import TickerCore

/// `update(model, message) → (model, commands)` for the tour: navigation, the chapters' keys, and folding what the
/// live runners report into each chapter's lab.
public enum TourUpdate {
    /// The polling timer's bounds (the `+` and `-` keys double and halve it).
    public static let pollIntervalRange = 25...8000

    public static func update(_ model: TourModel, _ message: TourMessage) -> (TourModel, [TourCommand]) {
        var model = model
        var commands: [TourCommand] = []
        switch message {
        case .key(let key):
            commands = handle(key, model: &model)
        case .resize(let width, let height):
            model.width = width
            model.height = height
        case .clock(let now):
            model.now = now
        case .interrupt:
            commands = [.quit]
        case .pollingPushStarted(let seq, let tick, let path):
            model.polling.tickMilliseconds = tick
            model.polling.path = path
            if model.polling.intervalMilliseconds == 0 { model.polling.intervalMilliseconds = slowPollInterval(tick: tick) }
            model.polling.pushStarted(at: seq)
        case .pollingPushed(let seq, let changed):
            model.polling.pushed(seq: seq, changed: changed)
        case .polled(let answer):
            model.polling.answered(answer)
        case .pollFailed(let reason):
            model.polling.failed(reason)
        case .longPollIssued(let since, let path):
            model.longPolling.path = path
            model.longPolling.issued(since: since, at: model.now)
        case .longPollAnswered(let status, let seq, let up, let down):
            model.longPolling.answered(status: status, seq: seq, bytesUp: up, bytesDown: down, at: model.now)
        case .longPollFailed(let reason):
            model.longPolling.failed(reason)
        case .longPollPushed(let bytes):
            model.longPolling.pushed(bytes: bytes)
        case .clientStarted:
            model.webSocket.restart()
        case .client(let event):
            model.webSocket.apply(event, now: model.now)
        case .bufferedAmount(let amount):
            model.webSocket.sampled(bufferedAmount: amount)
        case .flooded(let count, let amount):
            model.webSocket.flooded(count: count, buffered: amount, now: model.now)
        case .dropped:
            model.webSocket.dropped(now: model.now)
        case .backpressure(let event):
            model.backpressure.apply(event, now: model.now)
        }
        return (model, commands)
    }

    /// The polling timer a chapter starts with: four ticks, so changes come and go between two polls.
    public static func slowPollInterval(tick: Int) -> Int { clamp(tick * 4) }

    /// A timer faster than the ticks (a third of one), so most answers repeat the last.
    public static func fastPollInterval(tick: Int) -> Int { clamp(tick / 3) }

    private static func clamp(_ milliseconds: Int) -> Int {
        min(max(milliseconds, pollIntervalRange.lowerBound), pollIntervalRange.upperBound)
    }

    private static func handle(_ key: Key, model: inout TourModel) -> [TourCommand] {
        if model.showingIndex { return handleIndex(key, model: &model) }
        switch key {
        case .right, .character(" "), .pageDown, .enter:
            return go(to: model.chapter.next, model: &model)
        case .left, .pageUp, .backspace:
            return go(to: model.chapter.previous, model: &model)
        case .home:
            return go(to: .polling, model: &model)
        case .end:
            return go(to: .reverseProxy, model: &model)
        case .character("i"), .tab:
            model.showingIndex = true
            model.indexSelection = model.chapter
            return []
        case .character("q"), .character("Q"):
            return [.quit]
        case .character(let character):
            if let digit = character.wholeNumberValue, let chapter = TourChapter(rawValue: digit) { return go(to: chapter, model: &model) }
            return chapterKey(character, model: &model)
        default:
            return []
        }
    }

    private static func handleIndex(_ key: Key, model: inout TourModel) -> [TourCommand] {
        switch key {
        case .up:
            model.indexSelection = model.indexSelection.previous ?? .reverseProxy
        case .down, .tab:
            model.indexSelection = model.indexSelection.next ?? .polling
        case .enter, .character(" "), .right:
            model.showingIndex = false
            return go(to: model.indexSelection, model: &model)
        case .escape, .character("i"), .left:
            model.showingIndex = false
        case .character("q"), .character("Q"):
            return [.quit]
        case .character(let character):
            if let digit = character.wholeNumberValue, let chapter = TourChapter(rawValue: digit) {
                model.showingIndex = false
                return go(to: chapter, model: &model)
            }
        default:
            break
        }
        return []
    }

    private static func go(to chapter: TourChapter?, model: inout TourModel) -> [TourCommand] {
        guard let chapter, chapter != model.chapter else { return [] }
        model.chapter = chapter
        return [.enter(chapter)]
    }

    /// The current chapter's own keys (the footer lists them).
    private static func chapterKey(_ character: Character, model: inout TourModel) -> [TourCommand] {
        switch (model.chapter, character) {
        case (.polling, "+"), (.polling, "="):
            return setInterval(model.polling.intervalMilliseconds * 2, model: &model)
        case (.polling, "-"), (.polling, "_"):
            return setInterval(model.polling.intervalMilliseconds / 2, model: &model)
        case (.eventsAndMethods, "s"):
            let universe = model.webSocket.universe
            guard model.webSocket.readyState == .open, !universe.isEmpty else { return [] }
            let message = ClientMessage.subscribe(symbols: [universe[model.webSocket.userSubscribes % universe.count]])
            model.webSocket.userSent(message, now: model.now)
            return [.send(message)]
        case (.eventsAndMethods, "p"):
            guard model.webSocket.readyState == .open else { return [] }
            let message = ClientMessage.ping(id: WebSocketLab.userPingID)
            model.webSocket.userSent(message, now: model.now)
            return [.send(message)]
        case (.eventsAndMethods, "c"):
            model.webSocket.closing(now: model.now)
            return [.close]
        case (.eventsAndMethods, "o"): return [.open]
        case (.connectionState, "d"), (.reverseProxy, "d"): return [.drop]
        case (.connectionState, "f"): return [.flood]
        case (.serverBackpressure, "r"):
            model.backpressure = BackpressureLab()
            return [.restartBackpressure]
        default: return []
        }
    }

    private static func setInterval(_ milliseconds: Int, model: inout TourModel) -> [TourCommand] {
        guard model.polling.intervalMilliseconds > 0 else { return [] }
        let interval = clamp(milliseconds)
        model.polling.intervalMilliseconds = interval
        return [.setPollInterval(milliseconds: interval)]
    }
}
