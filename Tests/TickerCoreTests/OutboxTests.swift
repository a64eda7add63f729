import OrderedCollections
import Testing

@testable import TickerCore

@Suite("Conflating outbox")
struct OutboxTests {
    func quote(_ symbol: String, _ cents: Int64) -> Quote {
        let price = Hundredths(raw: cents)
        return Quote(symbol: symbol, price: price, bid: price, ask: price, open: price, high: price, low: price, prevClose: price, volume: 1)
    }

    func drain(_ outbox: inout Outbox<String>) -> [Outbox<String>.Item] {
        var items: [Outbox<String>.Item] = []
        while let item = outbox.popFirst() { items.append(item) }
        return items
    }

    @Test("a client that keeps up gets every tick frame as shared, in order")
    func underCapacity() {
        var outbox = Outbox<String>(tickCapacity: 3)
        outbox.push(tick: 1, ts: 10, quotes: [quote("A", 1)], payload: "t1")
        outbox.push(tick: 2, ts: 20, quotes: [quote("A", 2)], payload: "t2")
        #expect(!outbox.isFull)
        let items = drain(&outbox)
        guard case .tick(1, _, _, _, "t1") = items[0], case .tick(2, _, _, _, "t2") = items[1] else {
            Issue.record("unexpected \(items)")
            return
        }
    }

    @Test("a full outbox folds the trailing ticks into the latest state per symbol and counts them")
    func folding() {
        var outbox = Outbox<String>(tickCapacity: 2)
        outbox.push(tick: 1, ts: 10, quotes: [quote("A", 1), quote("B", 1)], payload: "t1")
        outbox.push(tick: 2, ts: 20, quotes: [quote("A", 2)], payload: "t2")
        #expect(outbox.isFull)
        outbox.push(tick: 3, ts: 30, quotes: [quote("C", 3)], payload: "t3")
        outbox.push(tick: 4, ts: 40, quotes: [quote("A", 4)], payload: "t4")
        #expect(outbox.items.count == 1)
        guard case .conflated(let folded) = outbox.popFirst() else {
            Issue.record("expected a folded frame")
            return
        }
        #expect(folded.seq == 4 && folded.ts == 40)
        #expect(folded.earlierTicks == 3)
        #expect(Array(folded.quotes.keys) == ["A", "B", "C"])
        #expect(folded.quotes["A"]?.price.raw == 4)
        #expect(folded.message == .quotes(seq: 4, ts: 40, quotes: [quote("A", 4), quote("B", 1), quote("C", 3)], conflated: 3))
    }

    @Test("a frame that already folds ticks (an edge's catch-up) counts them when it is folded again")
    func foldingAFoldedTick() {
        var outbox = Outbox<String>(tickCapacity: 1)
        outbox.push(tick: 1, ts: 10, quotes: [quote("A", 1)], payload: "t1")
        outbox.push(tick: 6, ts: 60, quotes: [quote("A", 6), quote("B", 6)], earlier: 4, payload: "t2..6")
        guard case .conflated(let folded) = outbox.popFirst() else {
            Issue.record("expected a folded frame")
            return
        }
        #expect(folded.seq == 6 && folded.earlierTicks == 5, "ticks 1 to 5 folded into 6")
    }

    @Test("messages are never folded and keep their place")
    func messagesKeepOrder() {
        var outbox = Outbox<String>(tickCapacity: 1)
        outbox.push(tick: 1, ts: 1, quotes: [quote("A", 1)], payload: "t1")
        outbox.push(message: "subscribed")
        outbox.push(tick: 2, ts: 2, quotes: [quote("A", 2)], payload: "t2")
        outbox.push(tick: 3, ts: 3, quotes: [quote("A", 3)], payload: "t3")
        let items = drain(&outbox)
        #expect(items.count == 3)
        guard case .tick(1, _, _, _, _) = items[0], case .message("subscribed") = items[1], case .conflated(let folded) = items[2] else {
            Issue.record("unexpected \(items)")
            return
        }
        #expect(folded.seq == 3 && folded.earlierTicks == 1)
    }

    @Test("memory stays bounded however far behind the client falls")
    func bounded() {
        var outbox = Outbox<String>(tickCapacity: 4)
        for seq in 1...10_000 {
            outbox.push(tick: UInt64(seq), ts: 0, quotes: [quote("S\(seq % 50)", Int64(seq))], payload: "t")
        }
        #expect(outbox.items.count <= 4)
        #expect(outbox.queuedTicks <= 4)
        let folded = drain(&outbox).compactMap { item -> ConflatedQuotes? in
            if case .conflated(let folded) = item { return folded } else { return nil }
        }
        #expect(folded.last?.quotes.count == 50)
        #expect(folded.last?.seq == 10_000)
    }
}

@Suite("Subscriptions, queries and limits")
struct SubscriptionTests {
    let catalog = SymbolCatalog(
        symbols: ["AAPL", "MSFT", "BRK.B", "NVDA"].map {
            SymbolInfo(symbol: $0, name: $0, sector: "", referencePrice: 1, annualVolatility: 0.1, annualDrift: 0)
        })

    @Test("symbol sets: membership, algebra and ascending iteration")
    func symbolSet() {
        var set = SymbolSet(capacity: 130, members: [129, 3, 64])
        #expect(Array(set) == [3, 64, 129])
        #expect(set.count == 3 && set.contains(64) && !set.contains(65))
        set.remove(64)
        let other = SymbolSet(capacity: 130, members: [3, 7])
        #expect(Array(set.union(other)) == [3, 7, 129])
        #expect(Array(set.intersection(other)) == [3])
        #expect(Array(set.subtracting(other)) == [129])
        #expect(SymbolSet.all(capacity: 70).count == 70)
        #expect(SymbolSet(capacity: 70).isEmpty)
    }

    @Test("a selection resolves known names, the wildcard and unknown names")
    func selection() {
        let selection = SymbolSelection(names: ["AAPL", "nope", "brk.b", "nope"], in: catalog)
        #expect(Array(selection.known) == [0, 2])
        #expect(selection.unknown == ["nope"])
        guard case .error(.unknownSymbol, let message, let symbols)? = selection.unknownSymbolError else {
            Issue.record("expected an unknown_symbol error")
            return
        }
        #expect(symbols == ["nope"] && message.contains("\"nope\""))
        #expect(SymbolSelection(names: ["*"], in: catalog).known.count == 4)
        #expect(SymbolSelection(names: ["MSFT"], in: catalog).unknownSymbolError == nil)
    }

    @Test("polling parameters parse, with defaults")
    func pollingQuery() throws {
        let query = try PollingQuery(
            parameters: [("symbols", "AAPL, MSFT"), ("since", "42"), ("timeoutMs", "1500")], catalog: catalog)
        #expect(Array(query.symbols) == [0, 1] && query.since == 42 && query.timeoutMs == 1500)
        let defaults = try PollingQuery(parameters: [], catalog: catalog)
        #expect(defaults.symbols.count == 4 && defaults.since == nil && defaults.timeoutMs == 25_000)
    }

    @Test(
        "bad polling parameters name the parameter",
        arguments: [
            ("since", "-1"), ("since", "abc"), ("timeoutMs", "999999"), ("timeoutMs", "x"), ("symbols", ""), ("symbols", "AAPL,,MSFT"),
            ("symbols", "ZZZZ"), ("color", "red"),
        ])
    func badPollingQuery(name: String, value: String) {
        #expect(throws: PollingQuery.Problem.self) { try PollingQuery(parameters: [(name, value)], catalog: catalog) }
        do {
            _ = try PollingQuery(parameters: [(name, value)], catalog: catalog)
        } catch {
            #expect(error.parameter == name)
        }
    }

    @Test("the rate limiter allows its limit per window, then refuses until the next window")
    func rateLimiter() {
        var limiter = RateLimiter(messagesPerSecond: 3)
        let answers = [1_000, 1_000, 1_000, 2_000, 1_000_001_000].map { limiter.allow(now: UInt64($0)) }
        #expect(answers == [true, true, true, false, true])
    }

    @Test("the quote book answers what changed after a seq")
    func quoteBook() {
        var simulator = PriceSimulator(catalog: catalog, seed: 3, activity: 1)
        var book = QuoteBook(quotes: simulator.quotes, ts: 0)
        let all = SymbolSet.all(capacity: 4)
        #expect(book.quotes(in: all, changedAfter: 0).isEmpty)
        book.apply(simulator.step(timestamp: 5))
        #expect(book.seq == 1 && book.ts == 5)
        #expect(book.quotes(in: all, changedAfter: 0).count == 4)
        #expect(book.quotes(in: all, changedAfter: 1).isEmpty)
        #expect(book.quotes(in: all) == simulator.quotes)
    }
}

@Suite("Outbox: when a client counts as behind")
struct OutboxConflatingTests {
    @Test("a client stays behind while its queue ends in a folded frame, even once no longer full")
    func conflatingUntilTheFoldedFrameIsTaken() {
        var outbox = Outbox<Int>(tickCapacity: 2)
        let one = Hundredths(raw: 100)
        let quote = Quote(symbol: "AAPL", price: one, bid: one, ask: one, open: one, high: one, low: one, prevClose: one, volume: 1)
        outbox.push(message: 0)
        outbox.push(tick: 1, ts: 1, quotes: [quote], payload: 1)
        #expect(!outbox.isConflating)
        outbox.push(tick: 2, ts: 2, quotes: [quote], payload: 2)
        #expect(outbox.isConflating && outbox.isFull)
        outbox.push(tick: 3, ts: 3, quotes: [quote], payload: 3)  // ticks 1 to 3 fold into one frame behind the message
        _ = outbox.popFirst()  // the message is written: the queue is no longer full...
        #expect(!outbox.isFull && outbox.isConflating, "...but new ticks still fold into the waiting frame")
        outbox.push(tick: 4, ts: 4, quotes: [quote], payload: 4)
        #expect(outbox.items.count == 1)
        _ = outbox.popFirst()
        #expect(!outbox.isConflating)
    }
}
