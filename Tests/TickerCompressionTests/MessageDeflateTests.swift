import Testing
import TickerCompression

@Suite("permessage-deflate's compressor and inflater")
struct MessageDeflateTests {
    /// Text like a `quotes` frame: JSON with repeated keys, which is what compresses well.
    static let quotesLike = Array(
        ((0..<50).map { #"{"symbol":"SYM\#($0)","last":\#(10_000 + $0 * 7),"bid":\#(9_999 + $0),"ask":\#(10_001 + $0)}"# }
            .joined(separator: ",")).utf8)

    @Test("a message inflates to exactly what was compressed, without the sync flush's 00 00 FF FF tail")
    func roundTrip() throws {
        let deflater = try MessageDeflater()
        let inflater = try MessageInflater()
        for payload in [Self.quotesLike, [], Array("x".utf8), Array(repeating: 0x41, count: 100_000)] {
            let compressed = try deflater.compress(payload)
            #expect(compressed.suffix(4) != [0x00, 0x00, 0xFF, 0xFF])
            #expect(try inflater.inflate(compressed, limit: 1 << 20) == payload)
        }
        #expect(try deflater.compress(Self.quotesLike).count * 3 < Self.quotesLike.count, "JSON quotes compress at least 3×")
    }

    @Test("each message is compressed on its own: the same payload gives the same bytes whatever came before")
    func noContextTakeover() throws {
        let deflater = try MessageDeflater()
        let first = try deflater.compress(Self.quotesLike)
        _ = try deflater.compress(Array("something else entirely, to fill the window".utf8))
        #expect(try deflater.compress(Self.quotesLike) == first)
        #expect(try MessageDeflater().compress(Self.quotesLike) == first, "a fresh compressor agrees")
        // And an inflater that resets inflates each message alone, in any order.
        let inflater = try MessageInflater()
        let other = try deflater.compress(Array("another".utf8))
        #expect(try inflater.inflate(other, limit: 1000) == Array("another".utf8))
        #expect(try inflater.inflate(first, limit: 1 << 20) == Self.quotesLike)
    }

    @Test("a message that would inflate past the limit is refused; one exactly at the limit is not")
    func limit() throws {
        let deflater = try MessageDeflater()
        let inflater = try MessageInflater()
        let exactly = Array(repeating: UInt8(0x7A), count: 4096)
        let compressed = try deflater.compress(exactly)
        #expect(try inflater.inflate(compressed, limit: 4096) == exactly)
        #expect(throws: MessageInflater.Failure.tooLarge(limit: 4095)) { try inflater.inflate(compressed, limit: 4095) }
        // A bomb: 64 MiB of zeros in a few kilobytes, refused at 1 MiB.
        let bomb = try deflater.compress([UInt8](repeating: 0, count: 64 << 20))
        #expect(bomb.count < 100_000)
        #expect(throws: MessageInflater.Failure.tooLarge(limit: 1 << 20)) { try inflater.inflate(bomb, limit: 1 << 20) }
        // The inflater is still good for the next message.
        #expect(try inflater.inflate(compressed, limit: 4096) == exactly)
    }

    @Test("data that is not DEFLATE is refused as corrupt, and the inflater recovers")
    func corrupt() throws {
        let inflater = try MessageInflater()
        // BTYPE 11 is reserved (RFC 1951 §3.2.3).
        #expect(throws: MessageInflater.Failure.corrupt) { try inflater.inflate([0xFF, 0xFF, 0xFF, 0xFF], limit: 1000) }
        #expect(try inflater.inflate(try MessageDeflater().compress(Array("ok".utf8)), limit: 1000) == Array("ok".utf8))
    }

    @Test("a compressor limited to a 2^10 window cannot refer back 4 KiB, so it gains less; its output still inflates")
    func windowBits() throws {
        // Text repeating at a distance of 4 KiB: a 2^15 window refers back to it, a 2^10 one cannot.
        var block = [UInt8]()
        var state: UInt32 = 1
        for _ in 0..<4096 {
            state = state &* 1_103_515_245 &+ 12345
            block.append(UInt8(ascii: "a") + UInt8((state >> 16) % 26))
        }
        let payload = block + block
        let small = try MessageDeflater(windowBits: 10).compress(payload)
        let large = try MessageDeflater(windowBits: 15).compress(payload)
        #expect(large.count * 3 < small.count * 2, "the larger window finds the repeat: \(large.count) B against \(small.count) B")
        #expect(try MessageInflater().inflate(small, limit: 1 << 20) == payload)
        #expect(try MessageInflater().inflate(large, limit: 1 << 20) == payload)
    }
}
