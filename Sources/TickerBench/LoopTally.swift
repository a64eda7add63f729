import Histogram
import NIOCore
import TickerCompression

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
    /// Inflates compressed messages of servers that compress each message on its own (no context takeover): one per
    /// loop serves every connection on it.
    private let sharedInflater: MessageInflater?
    /// The last compressed messages this loop inflated and what they held. A server that compresses each frame once
    /// and shares it sends byte-identical messages to its clients: only the first of a tick's copies is inflated here,
    /// so the load generator's own inflating does not become the limit.
    private var recentlyInflated: [(compressed: ByteBuffer, scan: QuotesFrameScan?, messageBytes: Int)] = []

    init() {
        sharedInflater = try? MessageInflater()
    }

    /// The largest message the load generator inflates.
    static let maxMessageBytes = 16 << 20

    /// Inflates a compressed message and scans it; returns nil if it does not inflate. With `ownInflater` (a server
    /// that keeps its compression context) every message goes through that connection's inflater; otherwise a message
    /// byte-identical to a recent one on this loop reuses its scan.
    func scanCompressed(_ data: ByteBuffer, ownInflater: MessageInflater?) -> (scan: QuotesFrameScan?, messageBytes: Int)? {
        if let ownInflater {
            guard let message = try? ownInflater.inflate(Array(data.readableBytesView), limit: Self.maxMessageBytes) else { return nil }
            return (message.withUnsafeBytes { QuotesFrameScan.scan($0) }, message.count)
        }
        if let hit = recentlyInflated.first(where: { $0.compressed == data }) {
            snapshot.sharedCompressedHits += 1
            return (hit.scan, hit.messageBytes)
        }
        guard let sharedInflater,
            let message = try? sharedInflater.inflate(Array(data.readableBytesView), limit: Self.maxMessageBytes)
        else { return nil }
        let scan = message.withUnsafeBytes { QuotesFrameScan.scan($0) }
        recentlyInflated.insert((data, scan, message.count), at: 0)
        if recentlyInflated.count > 4 { recentlyInflated.removeLast() }
        return (scan, message.count)
    }

    /// A `quotes` frame of a tick produced in the window. It counts towards the rates only if it also arrived in the
    /// window (`inWindow`); towards delivery, gaps and latency either way.
    /// `wireBytes` is the frame as it crossed the network (header and payload), `messageBytes` its message once
    /// inflated (the same for a plain frame's payload); `compressed` tells whether it had RSV1 set.
    func frameReceived(
        _ scan: QuotesFrameScan, receivedAt: Int64, previousSeq: UInt64?, inWindow: Bool, wireBytes: Int, messageBytes: Int,
        compressed: Bool
    ) {
        snapshot.framesTotal += 1
        if inWindow {
            snapshot.frames += 1
            snapshot.quotes += scan.quoteCount
            snapshot.wireBytes += wireBytes
            snapshot.messageBytes += messageBytes
            if compressed { snapshot.compressedFrames += 1 }
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
    /// A connection whose upgrade agreed to `permessage-deflate`.
    func negotiatedCompression() { snapshot.compressingConnections += 1 }
    /// A message that broke the protocol (a compressed frame without the extension, one that does not inflate).
    func protocolError() { snapshot.protocolErrors += 1 }
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
    /// Bytes of the window's `quotes` frames on the wire (headers included) and of their messages, inflated.
    var wireBytes = 0
    var messageBytes = 0
    var compressedFrames = 0
    var compressingConnections = 0
    /// Compressed messages whose bytes matched one already inflated on the loop: the server shared the frame.
    var sharedCompressedHits = 0
    var protocolErrors = 0
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
        wireBytes += other.wireBytes
        messageBytes += other.messageBytes
        compressedFrames += other.compressedFrames
        compressingConnections += other.compressingConnections
        sharedCompressedHits += other.sharedCompressedHits
        protocolErrors += other.protocolErrors
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
