import TickerUI

/// What the terminal reports to the dashboard.
public enum TerminalInput: Sendable, Hashable {
    case key(Key)
    case resize(width: Int, height: Int)
}
