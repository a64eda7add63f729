import Foundation
import Testing

@testable import TickerCore

@Suite("Resume on the wire: positions, welcome's epoch and node, subscribe's resume, resumed frames")
struct ResumeMessageTests {
    @Test("a position reads as EPOCH:SEQ or a bare SEQ of the default epoch; anything else is refused")
    func positionText() {
        #expect(FeedPosition(text: "5f0c:1042", defaultEpoch: "x") == FeedPosition(epoch: "5f0c", seq: 1042))
        #expect(FeedPosition(text: " 1042 ", defaultEpoch: "x") == FeedPosition(epoch: "x", seq: 1042))
        #expect(FeedPosition(text: "a:b:7", defaultEpoch: "x") == FeedPosition(epoch: "a:b", seq: 7), "the epoch is all before the last colon")
        for bad in ["", ":7", "e:", "e:-1", "e:1.5", "abc", "e:99999999999999999999"] {
            #expect(FeedPosition(text: bad, defaultEpoch: "x") == nil, "\(bad)")
        }
        #expect(FeedPosition(epoch: "e", seq: 3).text == "e:3")
    }

    @Test("what a server at N makes of a client at S: resume folding N−S−1 (0 at S = N), or start over")
    func resumption() {
        let now = FeedPosition(epoch: "e", seq: 10)
        #expect(FeedPosition(epoch: "e", seq: 3).resumption(at: now) == .resume(folded: 6))
        #expect(FeedPosition(epoch: "e", seq: 9).resumption(at: now) == .resume(folded: 0))
        #expect(FeedPosition(epoch: "e", seq: 10).resumption(at: now) == .resume(folded: 0))
        #expect(FeedPosition(epoch: "e", seq: 11).resumption(at: now) == .resynchronise(reason: "seq 11 is ahead of this server's 10"))
        #expect(FeedPosition(epoch: "old", seq: 3).resumption(at: now) == .resynchronise(reason: "another epoch"))
    }

    @Test("welcome, snapshot and quotes carry the new fields after the old ones, and decode back; without them, as before")
    func serverMessages() throws {
        let welcome = ServerMessage.welcome(symbols: [], tickIntervalMs: 100, heartbeatIntervalMs: 5000, epoch: "e1", seq: 42, node: "vm:8080")
        #expect(
            welcome.jsonText
                == #"{"type":"welcome","protocol":"ticker.v1","symbols":[],"tickIntervalMs":100,"heartbeatIntervalMs":5000,"epoch":"e1","seq":42,"node":"vm:8080"}"#
        )
        let snapshot = ServerMessage.snapshot(seq: 7, ts: 1, quotes: [], epoch: "e1", resumed: false)
        #expect(snapshot.jsonText == #"{"type":"snapshot","seq":7,"ts":1,"quotes":[],"epoch":"e1","resumed":false}"#)
        let resumed = ServerMessage.quotes(seq: 9, ts: 1, quotes: [], conflated: 3, resumed: true)
        #expect(resumed.jsonText == #"{"type":"quotes","seq":9,"ts":1,"quotes":[],"conflated":3,"resumed":true}"#)
        for message in [welcome, snapshot, resumed] {
            #expect(try ServerMessage.decode(Data(message.encodedJSON)) == message)
        }
        // An older server's messages still decode, with the new fields absent.
        #expect(
            try ServerMessage.decode(
                Data(#"{"type":"welcome","protocol":"ticker.v1","symbols":[],"tickIntervalMs":100,"heartbeatIntervalMs":5000}"#.utf8))
                == .welcome(symbols: [], tickIntervalMs: 100, heartbeatIntervalMs: 5000))
        #expect(ServerMessage.quotes(seq: 9, ts: 1, quotes: [], conflated: nil).jsonText == #"{"type":"quotes","seq":9,"ts":1,"quotes":[]}"#)
    }

    @Test("subscribe carries resume as {epoch, seq}; the server reads it back, and a malformed one is a bad_message")
    func subscribeResume() throws {
        let message = ClientMessage.subscribe(symbols: ["*"], resume: FeedPosition(epoch: "e1", seq: 1042))
        #expect(message.jsonText == #"{"type":"subscribe","symbols":["*"],"resume":{"epoch":"e1","seq":1042}}"#)
        #expect(try ClientMessage.decode(Data(message.jsonText.utf8)) == message)
        #expect(try ClientMessage.decode(Data(#"{"type":"subscribe","symbols":["AAPL"]}"#.utf8)) == .subscribe(symbols: ["AAPL"]))
        #expect(throws: ClientMessageError.self) {
            try ClientMessage.decode(Data(#"{"type":"subscribe","symbols":["*"],"resume":{"epoch":"e1","seq":-1}}"#.utf8))
        }
        do {
            _ = try ClientMessage.decode(Data(#"{"type":"subscribe","symbols":["*"],"resume":{"seq":3}}"#.utf8))
            Issue.record("a resume without its epoch was accepted")
        } catch {
            #expect(error.code == .badMessage && error.message.contains("resume.epoch"), "\(error.message)")
        }
    }
}
