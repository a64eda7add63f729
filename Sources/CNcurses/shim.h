// ncursesw for Swift. SwiftPM drops the -D flags `pkg-config ncursesw` reports, so the wide-character API is asked for
// here; macros that Swift cannot import (attribute bits, stdscr, LINES/COLS) get small inline getters.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncursesw/ncurses.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

static inline attr_t cn_a_normal(void) { return A_NORMAL; }
static inline attr_t cn_a_bold(void) { return A_BOLD; }
static inline attr_t cn_a_reverse(void) { return A_REVERSE; }
static inline attr_t cn_a_dim(void) { return A_DIM; }
static inline attr_t cn_a_underline(void) { return A_UNDERLINE; }
static inline WINDOW *cn_stdscr(void) { return stdscr; }
static inline int cn_lines(void) { return LINES; }
static inline int cn_cols(void) { return COLS; }
static inline int cn_colors(void) { return COLORS; }

/// Draws a UTF-8 run at (y, x) with the given attributes and colour pair.
static inline int cn_put(int y, int x, const char *text, attr_t attributes, short pair) {
    attr_set(attributes, pair, NULL);
    return mvaddstr(y, x, text);
}

/// The crash path: on a fatal signal, give the terminal back before the default action (core dump) runs.
static void cn_restore_and_reraise(int signal_number) {
    endwin();
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

static inline void cn_install_crash_restore(void) {
    int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], cn_restore_and_reraise);
}
