// TickerUI
