/// A place in the feed's history: the epoch (an unbroken history of seqs) and a seq in it. What a client remembers to
/// resume after a reconnection, on the same server or another one following the same feed.
///
/// Written `EPOCH:SEQ` in SSE's `id:` and `Last-Event-ID`, and in a long poll's `since`.
public struct FeedPosition: Hashable, Sendable, Codable {
    public var epoch: String
    public var seq: UInt64

    public init(epoch: String, seq: UInt64) {
        self.epoch = epoch
        self.seq = seq
    }

    /// `EPOCH:SEQ`.
    public var text: String { "\(epoch):\(seq)" }

    /// Parses `EPOCH:SEQ` (the epoch is everything before the last colon), or a bare `SEQ`, which means `epoch`'s.
    /// Nil when the seq is not a non-negative integer or the epoch is empty.
    public init?(text: String, defaultEpoch: String) {
        let trimmed = text.trimmingSpaces
        if let colon = trimmed.lastIndex(of: ":") {
            let epoch = String(trimmed[..<colon])
            guard !epoch.isEmpty, let seq = UInt64(trimmed[trimmed.index(after: colon)...]) else { return nil }
            self.init(epoch: epoch, seq: seq)
        } else {
            guard let seq = UInt64(trimmed) else { return nil }
            self.init(epoch: defaultEpoch, seq: seq)
        }
    }

    /// What a server at `current` makes of a client that was at this position.
    public func resumption(at current: FeedPosition) -> Resumption {
        guard epoch == current.epoch else { return .resynchronise(reason: "another epoch") }
        guard seq <= current.seq else { return .resynchronise(reason: "seq \(seq) is ahead of this server's \(current.seq)") }
        return .resume(folded: Int(current.seq - seq) - (current.seq > seq ? 1 : 0))
    }

    /// Resume with what changed since (`folded` ticks besides the answer's own), or start over from a snapshot.
    public enum Resumption: Hashable, Sendable {
        case resume(folded: Int)
        case resynchronise(reason: String)
    }
}
