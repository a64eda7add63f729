import TickerClient

/// Each chapter's live side as lines: the figures first, then what happened, newest last. The view draws them beside
/// the explanation; the headless transcript prints them.
public enum TourLive {
    public typealias Line = (text: String, style: CellStyle)

    /// The chapter's figures and log. `logLimit` keeps the newest lines of long logs.
    public static func lines(_ model: TourModel, _ chapter: TourChapter, logLimit: Int = 40) -> [Line] {
        var lines: [Line] = []
        func add(_ text: String, _ style: CellStyle = .plain) { lines.append((text, style)) }
        func heading(_ text: String) { add(text, CellStyle(.accent, bold: true)) }
        func log(_ entries: [String]) {
            for entry in entries.suffix(logLimit) { add(entry, CellStyle(.dim)) }
        }
        switch chapter {
        case .polling:
            let lab = model.polling
            guard let tick = lab.tickMilliseconds else {
                add("connecting the push side…", CellStyle(.dim))
                break
            }
            heading("GET \(lab.path) every \(lab.intervalMilliseconds) ms; the feed ticks every \(tick) ms")
            add("requests \(lab.requests)   \(Formatting.grouped(lab.bytesUp)) B up, \(Formatting.grouped(lab.bytesDown)) B down")
            add("changes seen \(lab.changesSeen)   never seen \(lab.changesNeverSeen)", CellStyle(lab.changesNeverSeen > 0 ? .warning : .normal))
            add("answers that brought nothing new \(lab.nothingNew)", CellStyle(lab.nothingNew > 0 ? .warning : .normal))
            if let failure = lab.failure { add(failure, CellStyle(.error)) }
            add("")
            log(lab.log)
        case .longPolling:
            let lab = model.longPolling
            heading("GET \(lab.path.isEmpty ? "/api/quotes/poll" : lab.path)")
            if let since = lab.waitingSince {
                add(
                    "waiting since seq \(since) for \(Formatting.duration(microseconds: max(0, model.now - lab.waitingIssuedAt)))", CellStyle(.accent)
                )
            }
            add("requests \(lab.requests)   updates \(lab.updates)   timeouts (204) \(lab.timeouts)   ticks folded \(lab.folded)")
            if let polled = lab.bytesPerUpdate {
                let pushed = lab.bytesPerPush.map { "\(Formatting.grouped($0)) B as a pushed frame's payload" } ?? "(push side not measured yet)"
                add("each update costs \(Formatting.grouped(polled)) B by long polling, \(pushed)", CellStyle(.warning))
            }
            if lab.updates > 0 {
                add("mean wait \(Formatting.duration(microseconds: lab.totalWaitMicroseconds / Int64(lab.updates + lab.timeouts)))")
            }
            add("")
            log(lab.log)
        case .handshake:
            guard let handshake = model.webSocket.handshake else {
                add("connecting…", CellStyle(.dim))
                break
            }
            heading("sent")
            for line in handshake.request { add("→ " + line) }
            heading("answered")
            for line in handshake.response { add("← " + line) }
            add("")
            if let check = handshake.acceptCheck {
                heading("Sec-WebSocket-Accept, recomputed")
                add("key         \(check.key)")
                add("SHA-1(key + \"\(Handshake.acceptGUID)\"), base64")
                add("expected    \(check.expected)")
                let matches = check.expected == check.received
                add("server sent \(check.received ?? "(none)")  \(matches ? "✓" : "✗")", CellStyle(matches ? .up : .error, bold: true))
            }
            let offered = handshake.requestHeader("Sec-WebSocket-Protocol") ?? "(none)"
            add("subprotocol offered \(offered), chosen \(model.webSocket.negotiatedProtocol ?? "(none)")")
        case .frames:
            heading(
                "  FIN " + Formatting.left("RSV1-3", 9) + Formatting.left("opcode", 7) + Formatting.left("mask", 18)
                    + Formatting.left("length (form)", 20) + "first bytes")
            for frame in model.webSocket.frames.suffix(logLimit) {
                add(FrameFormatting.compactLine(frame), CellStyle(frame.direction == .sent ? .accent : .normal))
            }
            let maskedText = model.webSocket.frames.last { $0.maskKey != nil && $0.opcode == 0x1 }
            if let masked = maskedText, let key = masked.maskKey {
                add("")
                add("the last client text frame, masked with \(FrameFormatting.hex(key)): on the wire, byte i is payload[i] XOR key[i % 4]")
                add("  its payload, unmasked: “\(String(decoding: masked.head, as: UTF8.self))…”", CellStyle(.dim))
            }
        case .eventsAndMethods:
            let lab = model.webSocket
            heading("readyState \(lab.readyState.rawValue)")
            for (label, frame) in [("sent", lab.closeSent), ("received", lab.closeReceived)] {
                if let frame { add("close frame \(label): \(closePayload(frame))", CellStyle(.warning)) }
            }
            add("")
            log(lab.events)
        case .connectionState:
            let lab = model.webSocket
            heading("readyState \(lab.readyState.rawValue)   protocol \(lab.negotiatedProtocol ?? "(none)")")
            add("bufferedAmount \(Formatting.grouped(lab.bufferedAmount)) B   (highest seen \(Formatting.grouped(lab.bufferedPeak)) B)")
            if let flooded = lab.flooded {
                let answer = lab.closedForRateLimit ? "rate_limited, then close 1008" : lab.rateLimited ? "rate_limited" : "…"
                add("flood of \(flooded) messages: the server answered \(answer)", CellStyle(.warning))
            }
            add("")
            log(lab.states)
            add("")
            log(Array(lab.events.filter { !$0.contains("message quotes") }.suffix(8)))
        case .serverBackpressure:
            let lab = model.backpressure
            heading("stalled reader: \(lab.phase.rawValue)")
            add("frames read \(lab.readerFrames)   last seq \(lab.readerLastSeq.map(String.init) ?? "-")")
            for line in lab.conflatedFrames.suffix(3) { add("  " + line, CellStyle(.warning)) }
            if let close = lab.readerClose { add("closed by the server: \(close)", CellStyle(.error, bold: true)) }
            heading("healthy client")
            add(
                "frames \(lab.healthyFrames)   last seq \(lab.healthyLastSeq.map(String.init) ?? "-")   gaps \(lab.healthyGaps)   conflated \(lab.healthyConflated)"
            )
            heading("the server's metrics")
            add("connections behind \(lab.behind)   ticks conflated \(lab.serverConflatedTicks)   slow consumers closed \(lab.slowConsumersClosed)")
            add("")
            log(lab.log)
        case .reverseProxy:
            let lab = model.webSocket
            heading("where this tour's connection landed")
            if lab.landings.isEmpty { add("connecting…", CellStyle(.dim)) }
            log(lab.landings)
            for line in lab.events.filter({ $0.contains("resumed") }).suffix(4) { add(line, CellStyle(.up)) }
            let server = lab.handshake?.responseHeader("Server")
            add("")
            add(
                server.map { "a balancer answered the handshake (Server: \($0))" }
                    ?? "no balancer in front of \(model.url): one server, every connection lands on it")
            add("")
            heading("what a WebSocket-aware balancer needs (nginx)")
            for line in [
                "proxy_http_version 1.1;",
                "proxy_set_header Upgrade $http_upgrade;",
                "proxy_set_header Connection \"upgrade\";",
                "proxy_read_timeout 1h;   # well above the heartbeat",
                "upstream edges { least_conn; server …; server …; }",
            ] {
                add("  " + line, CellStyle(.dim))
            }
        }
        return lines
    }

    private static func closePayload(_ frame: FrameRecord) -> String {
        guard frame.head.count >= 2 else { return "no code" }
        let code = Int(frame.head[0]) << 8 | Int(frame.head[1])
        return "code \(code) “\(String(decoding: frame.head.dropFirst(2), as: UTF8.self))\(frame.length > frame.head.count ? "…" : "")”"
    }
}
