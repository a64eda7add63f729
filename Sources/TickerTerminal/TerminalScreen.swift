import CNcurses
import Foundation
import Synchronization
import TickerUI

/// The thin ncurses backend: one dedicated thread owns curses (ncurses is not thread-safe, and reading keys redraws),
/// copies the newest ``CellGrid`` to the screen at most 30 times a second, and reports keys and resizes.
///
/// `render` only stores the grid (latest wins) and wakes the thread through a pipe, so producing frames never waits
/// for the terminal. With nothing new to draw the thread sleeps in `poll`.
public final class TerminalScreen: Sendable {
    /// Minimum time between two redraws (30 per second at most).
    static let frameInterval: Duration = .milliseconds(33)

    public let input: AsyncStream<TerminalInput>
    private let inputContinuation: AsyncStream<TerminalInput>.Continuation
    private let palette: Palette
    private let mailbox = Mutex<CellGrid?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let finished = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)

    public init(palette: Palette) {
        self.palette = palette
        (input, inputContinuation) = AsyncStream.makeStream(of: TerminalInput.self)
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, O_NONBLOCK)
    }

    /// Takes over the terminal (on its own thread) and returns once curses is set up.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "ticker-curses"
        thread.start()
        started.wait()
    }

    /// Shows `grid` at the next redraw.
    public func render(_ grid: CellGrid) {
        mailbox.withLock { $0 = grid }
        wake()
    }

    /// Restores the terminal and waits until it is restored.
    public func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        wake()
        finished.wait()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: The curses thread

    private func run() {
        setlocale(LC_ALL, "")
        if String(cString: nl_langinfo(nl_item(CODESET))) != "UTF-8" { setlocale(LC_ALL, "C.UTF-8") }
        initscr()
        cbreak()
        noecho()
        keypad(cn_stdscr(), true)
        nodelay(cn_stdscr(), true)
        curs_set(0)
        let colors = ColorPairs(palette: palette)
        cn_install_crash_restore()
        started.signal()
        inputContinuation.yield(.resize(width: Int(cn_cols()), height: Int(cn_lines())))

        var lastDraw = ContinuousClock.now - Self.frameInterval
        var pending: CellGrid?
        var shown: CellGrid?
        while !stopping.load(ordering: .relaxed) {
            let waitMs: Int32
            if pending != nil {
                let remaining = Self.frameInterval - (ContinuousClock.now - lastDraw)
                waitMs = Int32(max(0, remaining.components.attoseconds / 1_000_000_000_000_000 + remaining.components.seconds * 1000))
            } else {
                waitMs = 100
            }
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, waitMs)
            if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                // Nothing more will come from this terminal, and polling it again would return at once forever.
                inputContinuation.yield(.hangUp)
                break
            }
            var drain = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &drain, 64) > 0 {}
            readKeys()
            if let newest = mailbox.withLock({ grid -> CellGrid? in
                defer { grid = nil }
                return grid
            }) {
                pending = newest
            }
            if let grid = pending, ContinuousClock.now - lastDraw >= Self.frameInterval {
                if grid != shown { draw(grid, previous: shown, colors: colors) }
                shown = grid
                pending = nil
                lastDraw = .now
            }
        }
        endwin()
        inputContinuation.finish()
        finished.signal()
    }

    private func readKeys() {
        var character: wint_t = 0
        while true {
            let result = wget_wch(cn_stdscr(), &character)
            if result == ERR { return }
            if result == KEY_CODE_YES {
                switch Int32(character) {
                case KEY_RESIZE: inputContinuation.yield(.resize(width: Int(cn_cols()), height: Int(cn_lines())))
                case KEY_UP: inputContinuation.yield(.key(.up))
                case KEY_DOWN: inputContinuation.yield(.key(.down))
                case KEY_LEFT: inputContinuation.yield(.key(.left))
                case KEY_RIGHT: inputContinuation.yield(.key(.right))
                case KEY_PPAGE: inputContinuation.yield(.key(.pageUp))
                case KEY_NPAGE: inputContinuation.yield(.key(.pageDown))
                case KEY_HOME: inputContinuation.yield(.key(.home))
                case KEY_END: inputContinuation.yield(.key(.end))
                case KEY_BACKSPACE: inputContinuation.yield(.key(.backspace))
                case KEY_ENTER: inputContinuation.yield(.key(.enter))
                default: break
                }
                continue
            }
            switch character {
            case 27: inputContinuation.yield(.key(.escape))
            case 10, 13: inputContinuation.yield(.key(.enter))
            case 9: inputContinuation.yield(.key(.tab))
            case 8, 127: inputContinuation.yield(.key(.backspace))
            default:
                if let scalar = Unicode.Scalar(UInt32(character)) { inputContinuation.yield(.key(.character(Character(scalar)))) }
            }
        }
    }

    /// Copies the grid, one run of equally styled cells at a time; ncurses sends only what changed on screen.
    private func draw(_ grid: CellGrid, previous: CellGrid?, colors: ColorPairs) {
        if previous.map({ $0.width != grid.width || $0.height != grid.height }) ?? true { erase() }
        for y in 0..<grid.height {
            var x = 0
            while x < grid.width {
                let style = grid[x, y].style
                var run = ""
                let start = x
                while x < grid.width, grid[x, y].style == style {
                    run.append(grid[x, y].character)
                    x += 1
                }
                let (attributes, pair) = colors.attributes(for: style)
                _ = cn_put(Int32(y), Int32(start), run, attributes, pair)
            }
        }
        refresh()
    }
}

/// The colour pairs of a palette, and the attributes for each cell style.
struct ColorPairs {
    private let palette: Palette
    private let useColor: Bool

    init(palette: Palette) {
        self.palette = palette
        useColor = palette != .monochrome && has_colors()
        guard useColor else { return }
        start_color()
        use_default_colors()
        for role in ColorRole.allCases {
            init_pair(Self.pairNumber(role), Self.foreground(role, palette: palette), -1)
        }
    }

    static func pairNumber(_ role: ColorRole) -> Int16 {
        Int16(ColorRole.allCases.firstIndex(of: role)! + 1)
    }

    static func foreground(_ role: ColorRole, palette: Palette) -> Int16 {
        let orange: Int16 = cn_colors() >= 256 ? 208 : Int16(COLOR_YELLOW)
        switch role {
        case .normal: return -1
        case .dim: return cn_colors() >= 16 ? 8 : -1
        case .accent: return Int16(COLOR_CYAN)
        case .title: return Int16(COLOR_CYAN)
        case .up: return palette == .colorBlind ? Int16(COLOR_BLUE) : Int16(COLOR_GREEN)
        case .down: return palette == .colorBlind ? orange : Int16(COLOR_RED)
        case .warning: return Int16(COLOR_YELLOW)
        case .error: return palette == .colorBlind ? Int16(COLOR_MAGENTA) : Int16(COLOR_RED)
        }
    }

    func attributes(for style: CellStyle) -> (attr_t, Int16) {
        var attributes = cn_a_normal()
        if style.bold { attributes |= cn_a_bold() }
        if style.reverse { attributes |= cn_a_reverse() }
        if useColor {
            if style.role == .dim, cn_colors() < 16 { attributes |= cn_a_dim() }
            return (attributes, Self.pairNumber(style.role))
        }
        switch style.role {
        case .up, .warning: attributes |= cn_a_bold()
        case .down: attributes |= cn_a_underline()
        case .error: attributes |= cn_a_bold() | cn_a_underline()
        case .dim: attributes |= cn_a_dim()
        case .normal, .accent, .title: break
        }
        return (attributes, 0)
    }
}
