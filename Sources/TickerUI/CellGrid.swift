/// What a cell means, not how it looks: the backend maps roles to colours (or to bold/reverse on a monochrome
/// terminal, or a colour-blind-safe palette), so the view never mentions a colour.
public enum ColorRole: Sendable, Hashable, CaseIterable {
    case normal, dim, accent, title, up, down, warning, error
}

/// The look of one cell.
public struct CellStyle: Sendable, Hashable {
    public var role: ColorRole
    public var bold: Bool
    public var reverse: Bool

    public init(_ role: ColorRole = .normal, bold: Bool = false, reverse: Bool = false) {
        self.role = role
        self.bold = bold
        self.reverse = reverse
    }

    public static let plain = CellStyle()
}

/// One character cell of the screen.
public struct Cell: Sendable, Hashable {
    public var character: Character
    public var style: CellStyle

    public init(_ character: Character = " ", style: CellStyle = .plain) {
        self.character = character
        self.style = style
    }
}

/// An in-memory screen: the view draws into it, the ncurses backend copies it to the terminal, the headless mode and
/// the tests read it as text. Every character is one cell wide (the dashboard only writes such characters).
public struct CellGrid: Sendable, Hashable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// Writes `text` from (x, y), clipped to `maxWidth` cells and to the grid. Returns the number of cells written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, maxWidth: Int = .max) -> Int {
        guard y >= 0, y < height else { return 0 }
        var column = x
        let limit = maxWidth >= width - x ? width : x + max(0, maxWidth)
        for character in text {
            guard column < limit else { break }
            if column >= 0 { cells[y * width + column] = Cell(character, style: style) }
            column += 1
        }
        return max(0, column - x)
    }

    /// Fills a rectangle with `character` in `style`.
    public mutating func fill(x: Int, y: Int, width: Int, height: Int, character: Character = " ", style: CellStyle = .plain) {
        for row in max(0, y)..<min(self.height, y + height) {
            for column in max(0, x)..<min(self.width, x + width) {
                cells[row * self.width + column] = Cell(character, style: style)
            }
        }
    }

    /// Restyles the cells of a rectangle, keeping their characters.
    public mutating func restyle(x: Int, y: Int, width: Int, height: Int = 1, _ change: (inout CellStyle) -> Void) {
        for row in max(0, y)..<min(self.height, y + height) {
            for column in max(0, x)..<min(self.width, x + width) {
                change(&cells[row * self.width + column].style)
            }
        }
    }

    /// Copies `other` into this grid with its top-left corner at (x, y).
    public mutating func draw(_ other: CellGrid, x: Int, y: Int) {
        for row in 0..<other.height {
            for column in 0..<other.width {
                self[x + column, y + row] = other[column, row]
            }
        }
    }

    /// Row `y` as text, trailing spaces removed.
    public func line(_ y: Int) -> String {
        var text = String(cells[(y * width)..<((y + 1) * width)].map(\.character))
        while text.last == " " { text.removeLast() }
        return text
    }

    /// The whole grid as text, one line per row, trailing spaces removed.
    public var text: String {
        (0..<height).map(line).joined(separator: "\n")
    }
}
