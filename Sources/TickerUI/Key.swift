/// A key press, decoded by the backend.
public enum Key: Sendable, Hashable {
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, backspace, tab
    case character(Character)
}
