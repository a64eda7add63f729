/// A plotting surface of braille characters: each cell holds 2×4 dots (U+2800 to U+28FF), so a chart of W×H cells
/// has 2W×4H points of resolution. Dot (0, 0) is the top left.
struct BrailleCanvas {
    let columns: Int
    let rows: Int
    private var bits: [UInt8]
    /// The role that last drew in each cell (the colour of a cell is one role).
    private var roles: [ColorRole?]

    init(columns: Int, rows: Int) {
        self.columns = max(0, columns)
        self.rows = max(0, rows)
        bits = Array(repeating: 0, count: self.columns * self.rows)
        roles = Array(repeating: nil, count: self.columns * self.rows)
    }

    var dotWidth: Int { columns * 2 }
    var dotHeight: Int { rows * 4 }

    /// The bit of each dot within its cell, by (x % 2, y % 4) (Unicode's braille dot numbering).
    private static let dotBits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    mutating func set(x: Int, y: Int, role: ColorRole) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let cell = (y / 4) * columns + x / 2
        bits[cell] |= Self.dotBits[x % 2][y % 4]
        roles[cell] = role
    }

    /// A straight line of dots from one point to another (Bresenham), both ends included.
    mutating func line(from start: (x: Int, y: Int), to end: (x: Int, y: Int), role: ColorRole) {
        var (x, y) = start
        let dx = abs(end.x - x)
        let dy = -abs(end.y - y)
        let stepX = x < end.x ? 1 : -1
        let stepY = y < end.y ? 1 : -1
        var error = dx + dy
        while true {
            set(x: x, y: y, role: role)
            if x == end.x && y == end.y { return }
            let doubled = 2 * error
            if doubled >= dy {
                error += dy
                x += stepX
            }
            if doubled <= dx {
                error += dx
                y += stepY
            }
        }
    }

    /// Copies the dotted cells into `grid` with their top-left at (x, y); empty cells are left as they are.
    func draw(into grid: inout CellGrid, x: Int, y: Int) {
        for row in 0..<rows {
            for column in 0..<columns where bits[row * columns + column] != 0 {
                let scalar = Unicode.Scalar(0x2800 + UInt32(bits[row * columns + column]))!
                grid[x + column, y + row] = Cell(Character(scalar), style: CellStyle(roles[row * columns + column] ?? .normal))
            }
        }
    }
}
