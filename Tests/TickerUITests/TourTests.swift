import Testing
import TickerClient
import TickerCore

@testable import TickerUI

@Suite("ticker tour: chapters on the cell grid, navigation, the labs' accounting, the headless script")
struct TourTests {
    @Test("golden text of every chapter at 120x40", arguments: TourChapter.allCases)
    func chapterGolden(_ chapter: TourChapter) throws {
        let grid = TourView.render(TourFixture.model(chapter))
        let (expected, actual) = try DashboardFixture.golden("tour-\(chapter.number)-120x40", grid.text)
        #expect(actual == expected)
        #expect(grid.line(0).contains("\(chapter.number)/8 \(chapter.title)"))
    }

    @Test("golden text at 80x24: the explanation above the live side; and the index over a chapter")
    func narrowAndIndexGolden() throws {
        let narrow = TourView.render(TourFixture.model(.handshake, width: 80, height: 24))
        let (expected, actual) = try DashboardFixture.golden("tour-3-80x24", narrow.text)
        #expect(actual == expected)
        let indexed = TourUpdate.update(TourFixture.model(.frames), .key(.character("i"))).0
        let (expectedIndex, actualIndex) = try DashboardFixture.golden("tour-index-120x40", TourView.render(indexed).text)
        #expect(actualIndex == expectedIndex)
    }

    @Test("→ and space go forward, ← back, digits jump; each move asks for the chapter's live part, the ends stay put")
    func navigation() {
        var model = TourModel(url: "ws://x/ws", now: 0)
        var (next, commands) = TourUpdate.update(model, .key(.right))
        #expect(next.chapter == .longPolling && commands == [.enter(.longPolling)])
        (next, commands) = TourUpdate.update(next, .key(.character(" ")))
        #expect(next.chapter == .handshake && commands == [.enter(.handshake)])
        (next, commands) = TourUpdate.update(next, .key(.left))
        #expect(next.chapter == .longPolling && commands == [.enter(.longPolling)])
        (next, commands) = TourUpdate.update(next, .key(.character("7")))
        #expect(next.chapter == .serverBackpressure && commands == [.enter(.serverBackpressure)])
        (next, commands) = TourUpdate.update(next, .key(.end))
        #expect(next.chapter == .reverseProxy)
        (next, commands) = TourUpdate.update(next, .key(.right))
        #expect(next.chapter == .reverseProxy && commands.isEmpty, "past the last chapter nothing happens")
        model.chapter = .polling
        (next, commands) = TourUpdate.update(model, .key(.left))
        #expect(next.chapter == .polling && commands.isEmpty, "before the first chapter nothing happens")
        #expect(TourUpdate.update(model, .key(.character("q"))).1 == [.quit])
        #expect(TourUpdate.update(model, .interrupt).1 == [.quit])
    }

    @Test("the index: i opens it on the current chapter, ↑↓ choose, enter goes there, esc closes it, digits jump")
    func index() {
        var model = TourModel(url: "ws://x/ws", now: 0)
        model.chapter = .frames
        var (next, commands) = TourUpdate.update(model, .key(.character("i")))
        #expect(next.showingIndex && next.indexSelection == .frames && commands.isEmpty)
        (next, _) = TourUpdate.update(next, .key(.down))
        (next, _) = TourUpdate.update(next, .key(.down))
        #expect(next.indexSelection == .connectionState && next.chapter == .frames)
        (next, commands) = TourUpdate.update(next, .key(.enter))
        #expect(!next.showingIndex && next.chapter == .connectionState && commands == [.enter(.connectionState)])
        (next, _) = TourUpdate.update(next, .key(.character("i")))
        (next, commands) = TourUpdate.update(next, .key(.escape))
        #expect(!next.showingIndex && next.chapter == .connectionState && commands.isEmpty)
        (next, _) = TourUpdate.update(next, .key(.character("i")))
        (next, commands) = TourUpdate.update(next, .key(.character("2")))
        #expect(!next.showingIndex && next.chapter == .longPolling && commands == [.enter(.longPolling)])
        (next, _) = TourUpdate.update(next, .key(.character("i")))
        (next, _) = TourUpdate.update(next, .key(.up))
        (next, _) = TourUpdate.update(next, .key(.up))
        #expect(next.indexSelection == .reverseProxy, "↑ from the first wraps to the last")
    }

    @Test("a chapter's keys work only in that chapter: s, p, c send and close in chapter 5; d and f in 6; + and - in 1")
    func chapterKeys() {
        // The fixture's last connection is open.
        var model = TourModel.at(.eventsAndMethods, TourFixture.model(.connectionState))
        #expect(TourUpdate.update(model, .key(.character("p"))).1 == [.send(.ping(id: WebSocketLab.userPingID))])
        #expect(TourUpdate.update(model, .key(.character("s"))).1.count == 1)
        let (closing, commands) = TourUpdate.update(model, .key(.character("c")))
        #expect(commands == [.close] && closing.webSocket.readyState == .closing)
        #expect(TourUpdate.update(model, .key(.character("f"))).1.isEmpty)
        model.chapter = .connectionState
        #expect(TourUpdate.update(model, .key(.character("f"))).1 == [.flood])
        #expect(TourUpdate.update(model, .key(.character("d"))).1 == [.drop])
        #expect(TourUpdate.update(model, .key(.character("p"))).1.isEmpty)
        model.chapter = .polling
        let interval = model.polling.intervalMilliseconds
        #expect(TourUpdate.update(model, .key(.character("+"))).1 == [.setPollInterval(milliseconds: interval * 2)])
        #expect(TourUpdate.update(model, .key(.character("-"))).1 == [.setPollInterval(milliseconds: interval / 2)])
    }

    @Test("polling's accounting: per symbol, all but the last change between two polls were never seen; no change is nothing new")
    func pollingAccounting() {
        var lab = PollingLab()
        lab.tickMilliseconds = 100
        lab.pushStarted(at: 10)
        lab.answered(TourFixture.answer(seq: 10, interval: 400))
        lab.pushed(seq: 11, changed: ["A", "B"])
        lab.pushed(seq: 12, changed: ["A"])
        lab.pushed(seq: 13, changed: ["A", "C"])
        lab.answered(TourFixture.answer(seq: 13, interval: 400))
        #expect(lab.changesSeen == 3 && lab.changesNeverSeen == 2 && lab.nothingNew == 0 && lab.slowPolls == 1)
        // An answer from ahead of the push side waits for it: the verdict never depends on which came first.
        lab.answered(TourFixture.answer(seq: 15, interval: 400))
        #expect(lab.log.count == 2)
        lab.pushed(seq: 14, changed: ["B"])
        lab.pushed(seq: 15, changed: ["B"])
        #expect(lab.changesSeen == 4 && lab.changesNeverSeen == 3 && lab.log.count == 3)
        lab.answered(TourFixture.answer(seq: 15, interval: 30))
        #expect(lab.nothingNew == 1 && lab.slowPolls == 2)
        #expect(lab.log.last?.contains("nothing new") == true)
        #expect(lab.requests == 4 && lab.bytesUp == 4 * 117)
    }

    @Test("long polling: ticks folded into an answer, reissues, and the bytes per update against a pushed frame")
    func longPollingAccounting() {
        var lab = LongPollingLab()
        lab.issued(since: 5, at: 0)
        lab.answered(status: 200, seq: 8, bytesUp: 100, bytesDown: 500, at: 1_000)
        lab.issued(since: 8, at: 2_000)
        lab.answered(status: 204, seq: nil, bytesUp: 100, bytesDown: 100, at: 10_002_000)
        lab.issued(since: 8, at: 10_003_000)
        #expect(lab.folded == 2 && lab.updates == 1 && lab.timeouts == 1 && lab.reissued == 2 && lab.requests == 3)
        #expect(lab.bytesPerUpdate == 800 && lab.bytesPerPush == nil && lab.waitingSince == 8)
        lab.pushed(bytes: 300)
        #expect(lab.bytesPerPush == 300)
    }

    @Test("the headless script: chapter 5 pings, then subscribes once the pong came, then closes once subscribed")
    func scriptOrder() {
        var model = TourModel(url: "ws://x/ws", now: 0)
        model.chapter = .eventsAndMethods
        #expect(TourScript.next(model, .eventsAndMethods, sent: []) == nil, "nothing before the connection is open")
        model.webSocket.readyState = .open
        model.webSocket.messages = 1
        #expect(TourScript.next(model, .eventsAndMethods, sent: [])?.key == .character("p"))
        #expect(TourScript.next(model, .eventsAndMethods, sent: ["ping"]) == nil, "the subscribe waits for the pong")
        model.webSocket.userPongs = 1
        #expect(TourScript.next(model, .eventsAndMethods, sent: ["ping"])?.key == .character("s"))
        model.webSocket.userSubscribesAnswered = 1
        #expect(TourScript.next(model, .eventsAndMethods, sent: ["ping", "subscribe"])?.key == .character("c"))
        #expect(TourScript.next(model, .eventsAndMethods, sent: ["ping", "subscribe", "close"]) == nil)
        // Chapter 1 goes faster only once slow polls have missed changes.
        var polling = TourModel(url: "ws://x/ws", now: 0)
        polling.polling.tickMilliseconds = 200
        polling.polling.intervalMilliseconds = 800
        #expect(TourScript.next(polling, .polling, sent: []) == nil)
        polling.polling.slowPolls = 3
        polling.polling.changesNeverSeen = 4
        #expect(TourScript.next(polling, .polling, sent: [])?.key == .character("-"))
        polling.polling.intervalMilliseconds = 50
        #expect(TourScript.next(polling, .polling, sent: []) == nil, "fast enough: no more presses")
    }

    @Test("the server's answer to a flood counts even when it is reported before the flood itself (they travel apart)")
    func floodAnswerFirst() {
        var lab = WebSocketLab()
        let error = ServerMessage.error(code: .rateLimited, message: "more than 50 messages per second", symbols: nil)
        lab.apply(.message(error, receivedAt: 1, bytes: 60, wireBytes: 60), now: 1)
        lab.apply(.close(code: 1008, reason: "rate limit exceeded", wasClean: true), now: 2)
        lab.flooded(count: 300, buffered: 9000, now: 3)
        lab.apply(.open(protocol: "ticker.v1", handshake: DashboardFixture.handshake), now: 4)
        #expect(lab.rateLimited && lab.closedForRateLimit && lab.reconnectsAfterRateLimit == 1 && lab.bufferedPeak == 9000)
    }

    @Test("the recorded run shows every chapter's evidence; a fresh model shows none of it")
    func evidence() {
        for chapter in TourChapter.allCases {
            let items = TourEvidence.checklist(TourFixture.model(chapter), chapter)
            #expect(items.allSatisfy { $0.met }, "chapter \(chapter.number): \(items.filter { !$0.met }.map(\.label))")
            #expect(TourEvidence.checklist(TourModel(url: "ws://x/ws", now: 0), chapter).allSatisfy { !$0.met })
        }
    }

    @Test("the transcript holds the explanation, the live lines and the checklist")
    func transcript() {
        let text = TourTranscript.text(TourFixture.model(.handshake), .handshake)
        #expect(text.hasPrefix("== 3/8 The handshake =="))
        #expect(text.contains("Sec-WebSocket-Accept proves the server read this handshake"))
        #expect(text.contains("server sent s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  ✓"))
        #expect(text.contains("✓ Sec-WebSocket-Accept computed from the key equals the server's"))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= TourTranscript.width })
    }
}
