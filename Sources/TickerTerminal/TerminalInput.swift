import TickerUI

/// What the terminal reports to the dashboard.
public enum TerminalInput: Sendable, Hashable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// The terminal went away (its window closed, the SSH session dropped): standard input hung up.
    case hangUp
}
