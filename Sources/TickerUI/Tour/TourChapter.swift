/// The eight chapters of `ticker tour`, in order: each one a concept, a few lines explaining it, and the keys that make
/// it happen on the live server.
public enum TourChapter: Int, CaseIterable, Sendable, Hashable {
    case polling = 1
    case longPolling
    case handshake
    case frames
    case eventsAndMethods
    case connectionState
    case serverBackpressure
    case reverseProxy

    public var number: Int { rawValue }

    public var title: String {
        switch self {
        case .polling: "Polling"
        case .longPolling: "Long polling"
        case .handshake: "The handshake"
        case .frames: "Frames"
        case .eventsAndMethods: "The four events and the two methods"
        case .connectionState: "readyState, bufferedAmount, protocol"
        case .serverBackpressure: "Backpressure on the server"
        case .reverseProxy: "Behind a reverse proxy"
        }
    }

    /// The chapter's explanation, one paragraph per element.
    public var explanation: [String] {
        switch self {
        case .polling:
            [
                "The oldest way to follow changing data: ask again and again. This client sends GET /api/quotes on a timer, "
                    + "and every answer is a whole HTTP response, headers and all, whether or not anything changed.",
                "Poll slowly and the prices that came and went between two requests are never seen. Poll quickly and most "
                    + "answers repeat the last one. There is no good interval: the client cannot know when the server changes.",
                "The push connection beside it (a WebSocket, not shown) sees every change: that is how the lost ones are counted.",
            ]
        case .longPolling:
            [
                "Long polling lets the server decide when to answer: GET /api/quotes/poll?since=SEQ waits until something "
                    + "after SEQ changed (or a timeout passes, 204), and the client at once asks again with the new SEQ.",
                "Nothing is missed between answers any more, and nothing is sent when nothing changed. But every update still "
                    + "costs a whole request and response, and changes that happen while the next request is on its way are "
                    + "folded into one answer.",
            ]
        case .handshake:
            [
                "A WebSocket starts as an HTTP/1.1 request: GET with Upgrade: websocket, a random Sec-WebSocket-Key, the "
                    + "version (13) and the subprotocols the client speaks. The server answers 101 Switching Protocols, and "
                    + "from then on the TCP connection carries frames, not HTTP.",
                "Sec-WebSocket-Accept proves the server read this handshake: it is base64(SHA-1(key + "
                    + "\"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\")), the GUID fixed by RFC 6455. The tour computes it from the "
                    + "key it sent and compares it with the server's.",
                "Sec-WebSocket-Protocol: the client offers, the server picks one (here ticker.v1) or the connection is useless.",
            ]
        case .frames:
            [
                "Every message travels as frames. Two header bytes at least: FIN (last frame of a message), RSV1-3 "
                    + "(extensions: RSV1 marks a permessage-deflate frame), a 4-bit opcode (1 text, 2 binary, 8 close, "
                    + "9 ping, 10 pong), MASK and a 7-bit length. A compressed frame's first bytes are deflate's, not JSON.",
                "Lengths up to 125 fit in those 7 bits; 126 means a 16-bit length follows, 127 a 64-bit one.",
                "Every frame a client sends is masked with a fresh random 4-byte key: the payload is XORed with it, so a "
                    + "client cannot choose the bytes on the wire and trick a proxy into caching a forged HTTP response. "
                    + "Server frames are never masked.",
            ]
        case .eventsAndMethods:
            [
                "The browser's WebSocket has four events and two methods. open: the handshake succeeded. message: a message "
                    + "arrived. error: something failed (always followed by close). close: the connection ended, with a code "
                    + "and a reason.",
                "send(data) queues a message. close(code, reason) starts the closing handshake: this side sends a close "
                    + "frame, the other answers with its own, then the TCP connection ends and close fires.",
                "Press s to send a subscribe, p to send a ping (the pong answers it), c to close with 1000, o to open again.",
            ]
        case .connectionState:
            [
                "readyState moves CONNECTING (0) → OPEN (1) → CLOSING (2) → CLOSED (3). A connection that drops without a "
                    + "close frame ends with 1006; this client then reconnects with backoff and resumes: its subscribe carries "
                    + "the epoch and seq it last saw, and the server answers with one frame of what changed meanwhile "
                    + "(\"resumed\":true) instead of a whole snapshot.",
                "bufferedAmount counts bytes handed to send() that the socket has not taken yet. Press f to flood: the "
                    + "client queues hundreds of messages at once, bufferedAmount jumps, then drains. The server allows "
                    + "so many messages a second: past that it answers rate_limited and closes with 1008.",
                "protocol is the subprotocol the server chose in the handshake. Press d to drop the connection.",
            ]
        case .serverBackpressure:
            [
                "The server cannot make a slow client faster, and must not let it hold memory forever. A reader here stops "
                    + "reading: its socket buffers fill and the server stops writing to it.",
                "The server then keeps only the newest quote of each symbol for it and, when the reader reads again, sends "
                    + "one frame that folds the ticks it missed (\"conflated\":K). A reader that stays behind too long is "
                    + "closed with 1008 slow consumer.",
                "A healthy client beside it keeps every tick, without a gap: one slow reader costs the others nothing.",
            ]
        case .reverseProxy:
            [
                "One machine holds only so many connections. In production a balancer (nginx, HAProxy) sits in front of "
                    + "several servers: it must pass the Upgrade and Connection headers through, and keep the tunnel open "
                    + "longer than the heartbeat.",
                "Each connection lands on one server (a node) and stays there. When that node goes away its clients "
                    + "reconnect, land on another node and resume from the last seq they saw.",
                "Point the tour at a balancer with --url to see the node a connection lands on; press d to drop it and see "
                    + "where it lands next.",
            ]
        }
    }

    /// The chapter's own keys, shown in the footer.
    public var keys: [(key: String, action: String)] {
        switch self {
        case .polling: [("+", "slower"), ("-", "faster")]
        case .eventsAndMethods: [("s", "subscribe"), ("p", "ping"), ("c", "close"), ("o", "open")]
        case .connectionState: [("d", "drop"), ("f", "flood")]
        case .serverBackpressure: [("r", "restart")]
        case .reverseProxy: [("d", "drop")]
        default: []
        }
    }

    /// The chapter after this one, or nil after the last.
    public var next: TourChapter? { TourChapter(rawValue: rawValue + 1) }

    /// The chapter before this one, or nil before the first.
    public var previous: TourChapter? { TourChapter(rawValue: rawValue - 1) }
}
