import Histogram

/// Counts kept by one event loop for the connections it serves; only that loop touches it, so the hot path takes
/// no lock. The run reads it on the loop (`EventLoop.submit`) and merges the loops' tallies.
final class LoopTally {
    /// Per tick (seq) in the window: how many connections received it, and its quote counts.
    struct TickDelivery: Hashable, Sendable {
        var frames = 0
        var quotes = 0
        /// The tick's quote count as produced: the largest count in a frame that folded no other tick.
        var producedQuotes = 0
    }

    private(set) var snapshot = TallySnapshot()

    /// A `quotes` frame of a tick produced in the window. It counts towards the rates only if it also arrived in the
    /// window (`inWindow`); towards delivery, gaps and latency either way.
    func frameReceived(_ scan: QuotesFrameScan, receivedAt: Int64, previousSeq: UInt64?, inWindow: Bool) {
        snapshot.framesTotal += 1
        if inWindow {
            snapshot.frames += 1
            snapshot.quotes += scan.quoteCount
        }
        snapshot.conflated += scan.conflated
        if let previousSeq {
            if scan.seq <= previousSeq {
                snapshot.seqErrors += 1
            } else {
                snapshot.gaps += Int(scan.seq - previousSeq - 1)
            }
        }
        var delivery = snapshot.ticks[scan.seq, default: TickDelivery()]
        delivery.frames += 1
        delivery.quotes += scan.quoteCount
        if scan.conflated == 0 { delivery.producedQuotes = max(delivery.producedQuotes, scan.quoteCount) }
        snapshot.ticks[scan.seq] = delivery
        _ = snapshot.latency.record(UInt64(max(0, receivedAt - scan.ts)))
    }

    func disconnected() { snapshot.disconnects += 1 }
    /// Any other frame: a welcome, a heartbeat, a tick outside the window.
    func otherFrameReceived() { snapshot.framesTotal += 1 }
}

/// One loop's counts, or the merged counts of every loop.
struct TallySnapshot: Sendable {
    var framesTotal = 0
    var frames = 0
    var quotes = 0
    var conflated = 0
    var gaps = 0
    var seqErrors = 0
    var disconnects = 0
    var ticks: [UInt64: LoopTally.TickDelivery] = [:]
    /// Tick-to-client latency in microseconds.
    var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)

    mutating func merge(_ other: TallySnapshot) {
        framesTotal += other.framesTotal
        frames += other.frames
        quotes += other.quotes
        conflated += other.conflated
        gaps += other.gaps
        seqErrors += other.seqErrors
        disconnects += other.disconnects
        for (seq, delivery) in other.ticks {
            var mine = ticks[seq, default: .init()]
            mine.frames += delivery.frames
            mine.quotes += delivery.quotes
            mine.producedQuotes = max(mine.producedQuotes, delivery.producedQuotes)
            ticks[seq] = mine
        }
        latency.add(other.latency)
    }
}
