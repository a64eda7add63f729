import TickerClient

/// What each chapter must show happening before its point is made: a checklist the view ticks off live, and the
/// headless tour waits for.
public enum TourEvidence {
    public struct Item: Sendable, Hashable {
        public var label: String
        public var met: Bool
    }

    public static func checklist(_ model: TourModel, _ chapter: TourChapter) -> [Item] {
        switch chapter {
        case .polling:
            let polling = model.polling
            return [
                Item(label: "requests counted, with their bytes (\(polling.requests))", met: polling.requests >= 4),
                Item(label: "changes that came and went between two polls, never seen", met: polling.changesNeverSeen > 0),
                Item(label: "answers that brought nothing new", met: polling.nothingNew > 0),
            ]
        case .longPolling:
            let longPolling = model.longPolling
            return [
                Item(label: "hanging requests answered when the feed moved (\(longPolling.updates))", met: longPolling.updates >= 3),
                Item(label: "each answer reissued at once", met: longPolling.reissued >= 2),
                Item(
                    label: "the cost of an update, polled against pushed", met: longPolling.bytesPerUpdate != nil && longPolling.bytesPerPush != nil),
            ]
        case .handshake:
            let check = model.webSocket.handshake?.acceptCheck
            return [
                Item(label: "101 Switching Protocols", met: model.webSocket.handshake?.response.first?.contains(" 101 ") ?? false),
                Item(label: "Sec-WebSocket-Accept computed from the key equals the server's", met: check.map { $0.expected == $0.received } ?? false),
                Item(label: "a subprotocol offered and chosen", met: model.webSocket.negotiatedProtocol != nil),
            ]
        case .frames:
            let frames = model.webSocket.frames
            return [
                Item(label: "a masked client frame decoded", met: frames.contains { $0.direction == .sent && $0.maskKey != nil }),
                Item(label: "an unmasked server frame decoded", met: frames.contains { $0.direction == .received && $0.maskKey == nil }),
                Item(label: "a length past 125 bytes (16- or 64-bit form)", met: frames.contains { $0.length > 125 }),
            ]
        case .eventsAndMethods:
            let lab = model.webSocket
            return [
                Item(label: "open and message fired", met: lab.opened > 0 && lab.messages > 0),
                Item(label: "send: a ping answered by a pong", met: lab.userPongs > 0),
                Item(label: "send: a subscribe answered by subscribed", met: lab.userSubscribesAnswered > 0),
                Item(
                    label: "close(1000): both close frames, then CLOSED",
                    met: lab.closeSent != nil && lab.closeReceived != nil && lab.readyState == .closed && lab.lastCloseCode == 1000),
            ]
        case .connectionState:
            let lab = model.webSocket
            return [
                Item(label: "dropped: CLOSED → CONNECTING → OPEN again", met: lab.reconnectsAfterDrop > 0),
                Item(label: "the reconnection resumed where it was (\"resumed\":true)", met: lab.resumes > 0),
                Item(label: "bufferedAmount rose after a flood", met: lab.flooded != nil && lab.bufferedPeak > 0),
                Item(label: "the server answered the flood: rate_limited, then 1008", met: lab.closedForRateLimit),
                Item(label: "reconnected after the 1008", met: lab.reconnectsAfterRateLimit > 0),
            ]
        case .serverBackpressure:
            let lab = model.backpressure
            return [
                Item(label: "the stalled reader got a conflated frame (\"conflated\":K)", met: lab.largestConflated > 0),
                Item(label: "then it was closed: 1008 slow consumer", met: lab.readerCloseCode == 1008),
                Item(
                    label: "the healthy client kept every tick (\(lab.healthyFrames) frames, \(lab.healthyGaps) gaps)",
                    met: lab.healthyFrames > 0 && lab.healthyGaps == 0 && lab.healthyConflated == 0),
            ]
        case .reverseProxy:
            let lab = model.webSocket
            return [
                Item(label: "the node a connection landed on", met: !lab.landings.isEmpty),
                Item(label: "dropped, landed again, and resumed there (\"resumed\":true)", met: lab.reconnectsAfterDrop > 0 && lab.resumes > 0),
            ]
        }
    }

    /// Whether every item of the chapter's checklist is met.
    public static func complete(_ model: TourModel, _ chapter: TourChapter) -> Bool {
        checklist(model, chapter).allSatisfy(\.met)
    }
}
