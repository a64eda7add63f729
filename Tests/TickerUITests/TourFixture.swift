import TickerClient
import TickerCore

@testable import TickerUI

/// A deterministic tour: every chapter's lab fed a recorded run, at a fixed clock.
enum TourFixture {
    static let start = DashboardFixture.start
    static let symbols = ["AAPL", "MSFT", "GOOGL", "AMZN", "NVDA"]

    /// The model after a recorded run of every chapter, showing `chapter`.
    static func model(_ chapter: TourChapter, width: Int = 120, height: Int = 40) -> TourModel {
        var model = TourModel(url: "ws://127.0.0.1:8080/ws", now: start, width: width, height: height)
        func send(_ message: TourMessage, after milliseconds: Int64 = 0) {
            model.now += milliseconds * 1000
            model = TourUpdate.update(model, message).0
        }
        // 1: polls every 800 ms against 200 ms ticks, then every 50 ms.
        let path = "/api/quotes?symbols=" + symbols.joined(separator: ",")
        send(.pollingPushStarted(seq: 0, tickMilliseconds: 200, path: path))
        send(.polled(answer(seq: 0, interval: 800)))
        for seq in 1...8 {
            send(.pollingPushed(seq: UInt64(seq), changed: Array(symbols.prefix(seq % 3 + 1))), after: 200)
            if seq % 4 == 0 { send(.polled(answer(seq: UInt64(seq), interval: 800))) }
        }
        model = TourUpdate.update(model, .key(.character("-"))).0
        send(.polled(answer(seq: 8, interval: 400)), after: 50)
        // 2: three hanging requests, one answered at once with two ticks folded in, one timing out.
        send(.longPollIssued(since: 8, path: "/api/quotes/poll?since=SEQ&symbols=AAPL,MSFT,GOOGL,AMZN,NVDA"))
        send(.longPollAnswered(status: 200, seq: 11, bytesUp: 147, bytesDown: 702), after: 1)
        send(.longPollIssued(since: 11, path: "/api/quotes/poll?since=SEQ&symbols=AAPL,MSFT,GOOGL,AMZN,NVDA"))
        send(.longPollPushed(bytes: 552), after: 150)
        send(.longPollAnswered(status: 200, seq: 12, bytesUp: 147, bytesDown: 699), after: 50)
        send(.longPollIssued(since: 12, path: "/api/quotes/poll?since=SEQ&symbols=AAPL,MSFT,GOOGL,AMZN,NVDA"))
        send(.longPollPushed(bytes: 548), after: 200)
        send(.longPollAnswered(status: 204, seq: nil, bytesUp: 147, bytesDown: 80), after: 10_000)
        send(.longPollIssued(since: 12, path: "/api/quotes/poll?since=SEQ&symbols=AAPL,MSFT,GOOGL,AMZN,NVDA"))
        send(.longPollAnswered(status: 200, seq: 13, bytesUp: 147, bytesDown: 702), after: 120)
        send(.longPollIssued(since: 13, path: "/api/quotes/poll?since=SEQ&symbols=AAPL,MSFT,GOOGL,AMZN,NVDA"))
        // 3 to 6 and 8: the tour's client, its frames, a ping, a subscribe, a drop and a flood.
        send(.clientStarted)
        send(.client(.connecting(attempt: 0)), after: 100)
        send(.client(.frame(frame(.sent, opcode: 0x1, length: 37, head: Array(#"{"type":"sub"#.utf8), mask: [0x3f, 0xa1, 0x09, 0xc2]))), after: 1)
        send(.client(.open(protocol: "ticker.v1", handshake: DashboardFixture.handshake)), after: 1)
        send(
            .client(
                .message(
                    .welcome(symbols: symbols.map { ServerMessage.SymbolName(symbol: $0, name: $0) }, tickIntervalMs: 200, heartbeatIntervalMs: 5000),
                    receivedAt: model.now, bytes: 2922, wireBytes: 900)))
        send(.client(.frame(frame(.received, opcode: 0x1, length: 9767, head: Array(#"{"type":"sna"#.utf8)))), after: 1)
        send(.client(.message(.snapshot(seq: 19, ts: model.now, quotes: []), receivedAt: model.now, bytes: 9767, wireBytes: 2100)))
        send(.client(.message(.pong(id: .number(model.now - 1400), ts: model.now - 700), receivedAt: model.now, bytes: 40, wireBytes: 40)))
        model = TourUpdate.update(TourModel.at(.eventsAndMethods, model), .key(.character("p"))).0
        send(.client(.frame(frame(.sent, opcode: 0x1, length: 29, head: Array(#"{"type":"pin"#.utf8), mask: [0x01, 0x02, 0x03, 0x04]))))
        send(.client(.message(.pong(id: WebSocketLab.userPingID, ts: model.now), receivedAt: model.now, bytes: 40, wireBytes: 40)), after: 2)
        model = TourUpdate.update(model, .key(.character("s"))).0
        send(.client(.message(.subscribed(symbols: ["*"]), receivedAt: model.now, bytes: 40, wireBytes: 40)), after: 2)
        send(
            .client(.message(.quotes(seq: 20, ts: model.now, quotes: [], conflated: nil), receivedAt: model.now, bytes: 1200, wireBytes: 400)),
            after: 200)
        model = TourUpdate.update(model, .key(.character("c"))).0
        let closeFrame: [UInt8] = [0x03, 0xe8] + Array("client clo".utf8)
        send(.client(.frame(frame(.sent, opcode: 0x8, length: 16, head: closeFrame, mask: [5, 6, 7, 8]))))
        send(.client(.frame(frame(.received, opcode: 0x8, length: 16, head: closeFrame))), after: 1)
        send(.client(.close(code: 1000, reason: "client closing", wasClean: true)), after: 1)
        let throughChapter5 = model
        // Chapter 6 starts a fresh client.
        model.chapter = .connectionState
        send(.clientStarted)
        send(.client(.connecting(attempt: 0)), after: 100)
        send(.client(.open(protocol: "ticker.v1", handshake: DashboardFixture.handshake)), after: 1)
        send(
            .client(
                .message(
                    .welcome(
                        symbols: symbols.map { ServerMessage.SymbolName(symbol: $0, name: $0) }, tickIntervalMs: 200, heartbeatIntervalMs: 5000,
                        epoch: "9f3c2a7b1d4e6f80", seq: 21, node: "vm:8080"),
                    receivedAt: model.now, bytes: 2922, wireBytes: 900)))
        send(.client(.message(.snapshot(seq: 21, ts: model.now, quotes: []), receivedAt: model.now, bytes: 9767, wireBytes: 2100)))
        send(.dropped, after: 100)
        send(.client(.close(code: nil, reason: "", wasClean: false)), after: 1)
        send(.client(.reconnectScheduled(attempt: 1, delay: .milliseconds(500))))
        send(.client(.connecting(attempt: 1)), after: 500)
        send(.client(.open(protocol: "ticker.v1", handshake: DashboardFixture.handshake)), after: 2)
        send(.client(.message(.subscribed(symbols: ["*"]), receivedAt: model.now, bytes: 40, wireBytes: 40)), after: 1)
        send(
            .client(
                .message(.quotes(seq: 27, ts: model.now, quotes: [], conflated: 5, resumed: true), receivedAt: model.now, bytes: 900, wireBytes: 300)),
            after: 1)
        send(.flooded(count: 300, bufferedAmount: 9220), after: 300)
        send(.bufferedAmount(0), after: 50)
        send(
            .client(
                .message(
                    .error(code: .rateLimited, message: "more than 50 messages per second; closing the connection", symbols: nil),
                    receivedAt: model.now, bytes: 90, wireBytes: 90)))
        send(.client(.frame(frame(.received, opcode: 0x8, length: 21, head: [0x03, 0xf0] + Array("rate limi".utf8)))))
        send(.client(.frame(frame(.sent, opcode: 0x8, length: 21, head: [0x03, 0xf0] + Array("rate limi".utf8), mask: [9, 8, 7, 6]))))
        send(.client(.close(code: 1008, reason: "rate limit exceeded", wasClean: true)), after: 1)
        send(.client(.connecting(attempt: 1)), after: 500)
        send(.client(.open(protocol: "ticker.v1", handshake: DashboardFixture.handshake)), after: 2)
        // 7: the stalled reader, its folded frame, the server's metrics, the close; the healthy client beside it.
        for event: BackpressureLab.Event in [
            .phase(.reading), .healthyFrame(seq: 21, gap: false, conflated: false), .phase(.stalled),
            .serverMetrics(behind: 1, conflatedTicks: 0, slowConsumersClosed: 0), .healthyFrame(seq: 22, gap: false, conflated: false),
            .phase(.reading), .readerFrame(seq: 34, conflated: 12, bytes: 9793), .phase(.stalledForGood),
            .serverMetrics(behind: 1, conflatedTicks: 12, slowConsumersClosed: 1), .readerClosed(code: 1008, reason: "slow consumer"),
            .healthyFrame(seq: 23, gap: false, conflated: false),
        ] {
            send(.backpressure(event), after: 500)
        }
        if [.handshake, .frames, .eventsAndMethods].contains(chapter) { model.webSocket = throughChapter5.webSocket }
        model.chapter = chapter
        model.indexSelection = chapter
        return model
    }

    static func answer(seq: UInt64, interval: Int) -> PollingLab.Answer {
        PollingLab.Answer(seq: seq, status: 200, bytesUp: 117, bytesDown: 1027, elapsedMicroseconds: 2100, intervalMilliseconds: interval)
    }

    static func frame(_ direction: FrameRecord.Direction, opcode: UInt8, length: Int, head: [UInt8], mask: [UInt8]? = nil) -> FrameRecord {
        FrameRecord(
            direction: direction, time: start + 2_000_000, fin: true, rsv1: direction == .received && opcode == 0x1, opcode: opcode, maskKey: mask,
            length: length, head: head)
    }
}

extension TourModel {
    /// The model showing `chapter`.
    static func at(_ chapter: TourChapter, _ model: TourModel) -> TourModel {
        var model = model
        model.chapter = chapter
        return model
    }
}
