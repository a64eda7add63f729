/// How colour roles look on the terminal.
public enum Palette: String, Sendable, CaseIterable {
    /// Green up, red down.
    case standard
    /// Blue up, orange (yellow on 8-colour terminals) down: distinguishable with red-green colour blindness.
    case colorBlind = "color-blind"
    /// No colour at all: direction is carried by ▲/▼, signs and attributes (bold up, underline down).
    case monochrome
}
