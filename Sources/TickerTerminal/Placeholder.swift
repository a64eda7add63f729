// TickerTerminal
