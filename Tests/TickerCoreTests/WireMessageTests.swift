import Foundation
import Testing

@testable import TickerCore

@Suite("ticker.v1 wire messages")
struct WireMessageTests {
    let quote = Quote(
        symbol: "AAPL", price: Hundredths(raw: 18923), bid: Hundredths(raw: 18922), ask: Hundredths(raw: 18924),
        open: Hundredths(raw: 18750), high: Hundredths(raw: 19010), low: Hundredths(raw: 18720),
        prevClose: Hundredths(raw: 18790), volume: 1_234_567)

    @Test("fixed-point numbers are written in their shortest exact form")
    func hundredths() {
        #expect(Hundredths(raw: 18923).description == "189.23")
        #expect(Hundredths(raw: 18750).description == "187.5")
        #expect(Hundredths(raw: 19000).description == "190")
        #expect(Hundredths(raw: -7).description == "-0.07")
        #expect(Hundredths(raw: -150).description == "-1.5")
        #expect(Hundredths(raw: 0).description == "0")
        #expect(Hundredths(rounding: 0.705).raw == 71)
    }

    @Test("a quote is written exactly as the contract shows it")
    func quoteJSON() {
        #expect(
            String(decoding: quote.encodedJSON, as: UTF8.self)
                == #"{"symbol":"AAPL","price":189.23,"bid":189.22,"ask":189.24,"open":187.5,"high":190.1,"low":187.2,"prevClose":187.9,"change":1.33,"changePct":0.71,"volume":1234567}"#
        )
    }

    @Test("every server message puts type first, then seq and ts")
    func keyOrder() {
        #expect(ServerMessage.quotes(seq: 5, ts: 9, quotes: [], conflated: nil).jsonText == #"{"type":"quotes","seq":5,"ts":9,"quotes":[]}"#)
        #expect(
            ServerMessage.quotes(seq: 5, ts: 9, quotes: [], conflated: 3).jsonText
                == #"{"type":"quotes","seq":5,"ts":9,"quotes":[],"conflated":3}"#)
        #expect(ServerMessage.snapshot(seq: 1, ts: 2, quotes: []).jsonText == #"{"type":"snapshot","seq":1,"ts":2,"quotes":[]}"#)
        #expect(ServerMessage.heartbeat(seq: 1, ts: 2).jsonText == #"{"type":"heartbeat","seq":1,"ts":2}"#)
        #expect(ServerMessage.pong(id: .number(7), ts: 2).jsonText == #"{"type":"pong","id":7,"ts":2}"#)
        #expect(ServerMessage.subscribed(symbols: ["AAPL"]).jsonText == #"{"type":"subscribed","symbols":["AAPL"]}"#)
        #expect(
            ServerMessage.welcome(symbols: [.init(symbol: "AAPL", name: "Apple Inc.")], tickIntervalMs: 100, heartbeatIntervalMs: 5000)
                .jsonText
                == #"{"type":"welcome","protocol":"ticker.v1","symbols":[{"symbol":"AAPL","name":"Apple Inc."}],"tickIntervalMs":100,"heartbeatIntervalMs":5000}"#
        )
        #expect(
            ServerMessage.error(code: .unknownSymbol, message: "unknown \"X\"", symbols: ["X"]).jsonText
                == #"{"type":"error","code":"unknown_symbol","message":"unknown \"X\"","symbols":["X"]}"#)
    }

    @Test("the fan-out's frame assembled from pre-encoded quotes equals the message encoder's")
    func assembledFrame() {
        let assembled = ServerMessage.quotesFrame(seq: 3, ts: 4, encodedQuotes: [quote.encodedJSON, quote.encodedJSON])
        #expect(assembled == ServerMessage.quotes(seq: 3, ts: 4, quotes: [quote, quote], conflated: nil).encodedJSON)
    }

    @Test(
        "server messages decode back to themselves",
        arguments: [
            ServerMessage.welcome(symbols: [.init(symbol: "AAPL", name: "Apple \"Inc.\"")], tickIntervalMs: 100, heartbeatIntervalMs: 5000),
            .subscribed(symbols: ["AAPL", "MSFT"]), .heartbeat(seq: 3, ts: 4), .pong(id: .string("a"), ts: 1), .pong(id: nil, ts: 1),
            .error(code: .rateLimited, message: "slow down", symbols: nil),
            .quotes(seq: 1, ts: 2, quotes: [], conflated: 4),
        ])
    func roundTrip(message: ServerMessage) throws {
        #expect(try ServerMessage.decode(Data(message.encodedJSON)) == message)
    }

    @Test("a quote survives encoding and decoding")
    func quoteRoundTrip() throws {
        let message = ServerMessage.snapshot(seq: 1, ts: 2, quotes: [quote])
        #expect(try ServerMessage.decode(Data(message.encodedJSON)) == message)
    }

    @Test(
        "a server message a client cannot use is an error, not a crash",
        arguments: [
            "", "[]", "{}", #"{"type":"quotes"}"#, #"{"type":"warp"}"#, #"{"type":"quotes","seq":"x","ts":1,"quotes":[]}"#, "\u{0}",
        ])
    func badServerData(text: String) {
        #expect(throws: ServerMessageDecodingError.self) { try ServerMessage.decode(Data(text.utf8)) }
    }

    @Test(
        "client messages decode",
        arguments: [
            (#"{"type":"subscribe","symbols":["AAPL","MSFT"]}"#, ClientMessage.subscribe(symbols: ["AAPL", "MSFT"])),
            (#"{"type":"unsubscribe","symbols":["*"]}"#, .unsubscribe(symbols: ["*"])),
            (#"{"type":"ping","id":7}"#, .ping(id: .number(7))),
            (#"{"type":"ping","id":"abc"}"#, .ping(id: .string("abc"))),
            (#"{"type":"ping"}"#, .ping(id: nil)),
        ])
    func clientMessages(text: String, expected: ClientMessage) throws {
        #expect(try ClientMessage.decode(Data(text.utf8)) == expected)
        #expect(try ClientMessage.decode(Data(expected.jsonText.utf8)) == expected)
    }

    @Test(
        "bad client messages are refused with a specific code and reason",
        arguments: [
            ("not json", ErrorCode.badMessage, "invalid JSON"),
            ("[1,2]", .badMessage, "expected a JSON object"),
            (#"{"symbols":["AAPL"]}"#, .badMessage, #"missing "type""#),
            (#"{"type":5}"#, .badMessage, #""type" should be a string"#),
            (#"{"type":"subscribe","symbols":"AAPL"}"#, .badMessage, #"subscribe: "symbols" should be an array"#),
            (#"{"type":"subscribe"}"#, .badMessage, #"subscribe: missing "symbols""#),
            (#"{"type":"ping","id":{"a":1}}"#, .badMessage, "ping:"),
            (#"{"type":"dance"}"#, .unknownType, #"unknown message type "dance""#),
        ])
    func badClientMessages(text: String, code: ErrorCode, reason: String) {
        do {
            _ = try ClientMessage.decode(Data(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }
}
