import TickerClient

/// What the headless tour presses in each chapter, and when: the keys a learner would press, each once, as soon as
/// the chapter's live state calls for it. Pure, so the script's order is tested without a server.
public enum TourScript {
    /// The next key for `chapter`, given the ones already pressed (by name); nil while there is nothing to do.
    public static func next(_ model: TourModel, _ chapter: TourChapter, sent: Set<String>) -> (name: String, key: Key)? {
        let lab = model.webSocket
        func once(_ name: String, _ key: Character, when condition: Bool) -> (String, Key)? {
            condition && !sent.contains(name) ? (name, .character(key)) : nil
        }
        switch chapter {
        case .polling:
            // Slow polls first (changes are missed), then faster than the ticks (answers repeat).
            let polling = model.polling
            guard let tick = polling.tickMilliseconds else { return nil }
            return once(
                "faster than \(polling.intervalMilliseconds) ms", "-",
                when: polling.slowPolls >= 3 && polling.changesNeverSeen > 0 && polling.intervalMilliseconds > TourUpdate.fastPollInterval(tick: tick)
            )
        case .eventsAndMethods:
            return once("ping", "p", when: lab.readyState == .open && lab.messages > 0)
                ?? once("subscribe", "s", when: sent.contains("ping") && lab.userPongs > 0)
                ?? once("close", "c", when: sent.contains("subscribe") && lab.userSubscribesAnswered > 0)
        case .connectionState:
            return once("drop", "d", when: lab.readyState == .open && lab.quotesReceived >= 3)
                ?? once("flood", "f", when: lab.resumes > 0 && lab.readyState == .open)
        case .reverseProxy:
            return once("drop", "d", when: lab.readyState == .open && lab.quotesReceived >= 3)
        case .longPolling, .handshake, .frames, .serverBackpressure:
            return nil
        }
    }
}
