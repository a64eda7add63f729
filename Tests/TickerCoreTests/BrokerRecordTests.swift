import Foundation
import Testing
import TickerAssets

@testable import TickerCore

@Suite("The broker's pure parts: database URLs, the simulator's stored state, stored ticks, the universe")
struct BrokerRecordTests {
    @Test("a database URL is read field by field, the password percent-decoded; PGPASSWORD only when the URL has none")
    func databaseURL() throws {
        let url = try DatabaseURL("postgres://ticker:p%40ss@db.example:6543/quotes", environmentPassword: "other")
        #expect(url.host == "db.example" && url.port == 6543 && url.user == "ticker" && url.password == "p@ss" && url.database == "quotes")
        #expect(url.description == "postgres://ticker@db.example:6543/quotes", "no password in what is printed")
        let plain = try DatabaseURL("postgresql://127.0.0.1/postgres", environmentPassword: "fromenv")
        #expect(plain.user == "postgres" && plain.port == 5432 && plain.password == "fromenv")
        #expect(try DatabaseURL("postgres://u@[::1]:5433/db").host == "::1")
    }

    @Test(
        "a malformed database URL is refused saying what is wrong, never repeating the password",
        arguments: [
            ("postgres://u:secret@h:99999/db", "the port 99999, out of range"),
            ("postgres://u:secret@h:port/db", "the port \"port\", which is not a number"),
            ("mysql://h/db", "the scheme \"mysql\""),
            ("h:5432/db", "is not a URL"),
            ("postgres://u@h:5432", "names no database"),
            ("postgres://u@:5432/db", "names no host"),
            ("postgres://:pw@h/db", "an empty user name"),
            ("postgres://u@h/db?sslmode=require", "has query parameters"),
        ])
    func malformed(_ text: String, _ message: String) {
        do {
            _ = try DatabaseURL(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
            #expect(!error.description.contains("secret"))
        }
    }

    @Test("a simulator restored from its stored state publishes exactly the ticks the original goes on to publish")
    func simulatorState() throws {
        let catalog = try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: 30)
        var original = PriceSimulator(catalog: catalog, seed: 9, activity: 0.7)
        for _ in 0..<37 { _ = original.step(timestamp: 0) }
        let json = original.state.json
        let state = try #require(PriceSimulator.State(json: json, count: 30))
        #expect(state == original.state)
        var restored = PriceSimulator(catalog: catalog, activity: 0.7, restoring: state)
        for step in 0..<50 {
            let a = original.step(timestamp: Int64(step))
            let b = restored.step(timestamp: Int64(step))
            #expect(a.seq == b.seq && a.changed == b.changed && a.quotes == b.quotes, "tick \(a.seq)")
        }
        #expect(PriceSimulator.State(json: json, count: 31) == nil, "a state of another universe is refused")
        #expect(PriceSimulator.State(json: "{}", count: 30) == nil)
    }

    @Test("a stored tick reads back as the same tick; positions outside the catalog are refused")
    func storedTick() throws {
        let catalog = try SymbolCatalog(assetsJSON: TickerAssets.symbolsJSON(), count: 10)
        var simulator = PriceSimulator(catalog: catalog, seed: 2, activity: 0.5)
        let tick = simulator.step(timestamp: 1_795_000_000_000_000)
        let read = try #require(StoredTick.tick(seq: tick.seq, ts: tick.ts, json: StoredTick.tickJSON(tick), count: 10))
        #expect(read.seq == tick.seq && read.ts == tick.ts && read.changed == tick.changed && read.quotes == tick.quotes)
        #expect(StoredTick.tick(seq: 1, ts: 0, json: StoredTick.tickJSON(tick), count: 1) == nil || tick.changed.allSatisfy { $0 < 1 })
        #expect(StoredTick.tick(seq: 1, ts: 0, json: #"{"changed":[0],"quotes":[]}"#, count: 10) == nil)
    }

    @Test("the universe names the count and a hash of the symbols in order; a mismatch says both")
    func universe() throws {
        let json = try TickerAssets.symbolsJSON()
        let twenty = Universe(try SymbolCatalog(assetsJSON: json, count: 20))
        #expect(twenty == Universe(try SymbolCatalog(assetsJSON: json, count: 20)))
        #expect(twenty != Universe(try SymbolCatalog(assetsJSON: json, count: 21)))
        #expect(twenty.text.hasPrefix("20:") && twenty.text.count == 3 + 16)
        let mismatch = UniverseMismatch(mine: "10:00000000000000aa", stored: twenty.text, who: "the feed")
        #expect(mismatch.description.contains("this process has 10 symbols (hash 00000000000000aa), the feed has 20 symbols (hash "))
    }
}
