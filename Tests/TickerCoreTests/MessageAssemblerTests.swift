import Testing
import TickerCore

@Suite("RFC 6455 receiving rules: UTF-8, fragments, control frames, close codes")
struct MessageAssemblerTests {
    private func frame(
        _ assembler: inout MessageAssembler, _ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false,
        masked: Bool = true
    ) -> MessageAssembler.Event {
        assembler.receive(fin: fin, rsv1: rsv1, rsv2: false, rsv3: false, opcode: opcode, masked: masked, payload: payload)
    }

    @Test("UTF-8: every well-formed sequence passes, at any split; malformed ones fail at their first bad byte")
    func utf8() {
        let text = Array("a é € 𝄞 \u{10FFFF} \u{D7FF} \u{E000}".utf8)
        for split in 0...text.count {
            var validator = UTF8Validator()
            let valid = validator.validate(text[..<split]) && validator.validate(text[split...])
            #expect(valid && validator.isAtBoundary, "split at \(split)")
        }
        let malformed: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
            [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xFE],
            [0xC2, 0x41], [0xE2, 0x82, 0x41],
        ]
        for bytes in malformed {
            var validator = UTF8Validator()
            let valid = validator.validate(bytes)
            #expect(!valid, "\(bytes)")
        }
        var truncated = UTF8Validator()
        let prefixValid = truncated.validate([0xE2, 0x82])
        #expect(prefixValid && !truncated.isAtBoundary)
    }

    @Test("a text message split over fragments comes out whole; control frames may come between them")
    func fragments() {
        var assembler = MessageAssembler(maxMessageBytes: 100)
        #expect(frame(&assembler, 0x1, Array("he".utf8), fin: false) == .incomplete)
        #expect(frame(&assembler, 0x9, [1, 2]) == .ping([1, 2]))
        #expect(frame(&assembler, 0x0, Array("ll".utf8), fin: false) == .incomplete)
        #expect(frame(&assembler, 0x0, Array("o".utf8)) == .text(Array("hello".utf8)))
        #expect(frame(&assembler, 0x2, [0, 0xFF]) == .binary([0, 0xFF]))
    }

    @Test(
        "each broken rule fails with the RFC's code, and nothing after it is acted on",
        arguments: [
            ("unmasked", 0x1, [0x7B, 0x7D], true, false, false, UInt16(1002)),
            ("RSV1 without permessage-deflate", 0x1, [0x7B], true, true, true, 1002),
            ("reserved opcode", 0x3, [], true, false, true, 1002), ("reserved control opcode", 0xB, [], true, false, true, 1002),
            ("fragmented ping", 0x9, [], false, false, true, 1002),
            ("ping over 125 bytes", 0x9, [UInt8](repeating: 0, count: 126), true, false, true, 1002),
            ("continuation first", 0x0, [0x41], true, false, true, 1002), ("invalid UTF-8", 0x1, [0xC0, 0xAF], true, false, true, 1007),
            ("ends inside a sequence", 0x1, [0xE2, 0x82], true, false, true, 1007),
            ("over the limit", 0x1, [UInt8](repeating: 0x20, count: 11), true, false, true, 1009),
            ("close of 1 byte", 0x8, [3], true, false, true, 1002), ("close code 1005", 0x8, [0x03, 0xED], true, false, true, 1002),
            ("close code 2999", 0x8, [0x0B, 0xB7], true, false, true, 1002),
            ("close reason not UTF-8", 0x8, [0x03, 0xE8, 0xFF], true, false, true, 1007),
        ] as [(String, UInt8, [UInt8], Bool, Bool, Bool, UInt16)])
    func failures(_ what: String, opcode: UInt8, payload: [UInt8], fin: Bool, rsv1: Bool, masked: Bool, code: UInt16) {
        var assembler = MessageAssembler(maxMessageBytes: 10)
        guard case .fail(let got, let reason) = frame(&assembler, opcode, payload, fin: fin, rsv1: rsv1, masked: masked) else {
            Issue.record("\(what): not failed")
            return
        }
        #expect(got == code, "\(what): \(reason)")
        #expect(frame(&assembler, 0x1, Array("{}".utf8)) == .incomplete, "\(what): input after the failure is ignored")
    }

    @Test("a new message inside a fragmented one, and fragments over the limit together, fail")
    func sequences() {
        var interleaved = MessageAssembler(maxMessageBytes: 100)
        _ = frame(&interleaved, 0x1, [0x41], fin: false)
        guard case .fail(1002, _) = frame(&interleaved, 0x1, [0x41]) else { return #expect(Bool(false)) }
        var big = MessageAssembler(maxMessageBytes: 10)
        _ = frame(&big, 0x1, [UInt8](repeating: 0x20, count: 6), fin: false)
        guard case .fail(1009, _) = frame(&big, 0x0, [UInt8](repeating: 0x20, count: 5)) else { return #expect(Bool(false)) }
        var exact = MessageAssembler(maxMessageBytes: 10)
        _ = frame(&exact, 0x1, [UInt8](repeating: 0x20, count: 6), fin: false)
        #expect(frame(&exact, 0x0, [UInt8](repeating: 0x20, count: 4)) == .text([UInt8](repeating: 0x20, count: 10)))
    }

    @Test("close frames: empty, a code alone, a code and reason; codes a peer may send")
    func closes() {
        var assembler = MessageAssembler(maxMessageBytes: 10)
        #expect(frame(&assembler, 0x8, []) == .close(code: nil, reason: ""))
        var coded = MessageAssembler(maxMessageBytes: 10)
        #expect(frame(&coded, 0x8, [0x0F, 0xA0] + Array("bye é".utf8)) == .close(code: 4000, reason: "bye é"))
        let allowed = (0...5000).filter { CloseCode.mayBeSent(UInt16($0)) }
        #expect(allowed == Array(1000...1003) + Array(1007...1014) + Array(3000...4999))
    }

    @Test("with permessage-deflate, RSV1 marks a compressed message, whose fragments are collected unchecked")
    func compressed() {
        var assembler = MessageAssembler(maxMessageBytes: 100, compressionNegotiated: true)
        #expect(frame(&assembler, 0x1, [0xFF, 0x00], fin: false, rsv1: true) == .incomplete)
        #expect(frame(&assembler, 0x0, [0xC0]) == .compressed([0xFF, 0x00, 0xC0], isText: true))
        #expect(frame(&assembler, 0x1, Array("{}".utf8)) == .text(Array("{}".utf8)), "uncompressed messages still pass")
        guard case .fail(1002, _) = frame(&assembler, 0x0, [0], rsv1: true) else { return #expect(Bool(false)) }
    }
}
