import Testing
import TickerCore

@Suite("The server's clock offset from ping/pong round trips")
struct ClockOffsetTests {
    @Test("the offset comes from the round trip with the shortest delay; latency is corrected by it and never negative")
    func estimate() {
        var clock = ClockOffset()
        #expect(clock.best == nil && clock.offset == 0)
        // The server runs 5 s ahead. A slow round trip whose answer came late (asymmetric) is off by 40 ms; a quick one
        // by 0.1 ms.
        clock.record(sentAt: 1_000_000, serverTime: 6_100_000, receivedAt: 1_120_000)
        #expect(clock.offset == 5_040_000)
        clock.record(sentAt: 2_000_000, serverTime: 7_000_300, receivedAt: 2_000_400)
        #expect(clock.best?.offset == 5_000_100 && clock.best?.roundTrip == 400)
        clock.record(sentAt: 3_000_000, serverTime: 8_020_000, receivedAt: 3_030_000)
        #expect(clock.offset == 5_000_100, "a later but slower sample does not replace the best")
        // A tick stamped 7.5 s by the server (2.5 s ours) received at 2.5012 s ours took 1.2 ms, less 0.1 ms of error.
        #expect(clock.latency(receivedAt: 2_501_200, serverTimestamp: 7_500_000) == 1_300)
        #expect(clock.latency(receivedAt: 2_000_000, serverTimestamp: 7_500_000) == 0, "never negative")
        #expect(ClockOffset().latency(receivedAt: 100, serverTimestamp: 5_000_000) == 0)
    }

    @Test("only the last window of samples counts, and an answer before its ping is ignored")
    func window() {
        var clock = ClockOffset()
        clock.record(sentAt: 0, serverTime: 10, receivedAt: 2)
        for index in 1...ClockOffset.window {
            clock.record(sentAt: Int64(index) * 1_000, serverTime: Int64(index) * 1_000 + 500 + 50, receivedAt: Int64(index) * 1_000 + 100)
        }
        #expect(clock.best?.roundTrip == 100 && clock.offset == 500, "the 2 µs round trip fell out of the window")
        clock.record(sentAt: 100_000, serverTime: 0, receivedAt: 99_000)
        #expect(clock.offset == 500)
    }
}
