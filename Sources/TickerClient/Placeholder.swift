// TickerClient
