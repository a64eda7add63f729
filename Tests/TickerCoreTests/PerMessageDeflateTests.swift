import Testing
import TickerCore

@Suite("permessage-deflate negotiation (RFC 7692)")
struct PerMessageDeflateTests {
    static let agreed = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

    /// Offers (the `Sec-WebSocket-Extensions` values of a request) and the server's answer: nil when it declines.
    static let offers: [([String], String?)] = [
        ([], nil),
        (["permessage-deflate"], agreed),
        (["PerMessage-Deflate"], agreed),
        (["permessage-deflate; client_max_window_bits"], agreed),
        (["permessage-deflate; client_max_window_bits=10"], agreed),
        (["permessage-deflate; client_max_window_bits=\"12\""], agreed),
        (["permessage-deflate; server_no_context_takeover; client_no_context_takeover"], agreed),
        (["permessage-deflate; server_max_window_bits=10"], agreed + "; server_max_window_bits=10"),
        (["permessage-deflate; server_max_window_bits=15"], agreed),
        // zlib's raw deflate has no 2^8 window: that offer is declined, the next one taken.
        (["permessage-deflate; server_max_window_bits=8, permessage-deflate"], agreed),
        (["permessage-deflate; server_max_window_bits=8"], nil),
        (["permessage-deflate; server_max_window_bits=16"], nil),
        (["permessage-deflate; server_max_window_bits=010"], nil),
        (["permessage-deflate; server_max_window_bits"], nil),
        (["permessage-deflate; server_no_context_takeover=1"], nil),
        (["permessage-deflate; client_max_window_bits=7"], nil),
        (["permessage-deflate; server_no_context_takeover; server_no_context_takeover"], nil),
        (["permessage-deflate; mystery"], nil),
        (["x-webkit-deflate-frame"], nil),
        (["x-webkit-deflate-frame", "permessage-deflate; server_max_window_bits=12"], agreed + "; server_max_window_bits=12"),
    ]

    @Test("the server takes the first offer it can honour and declines the rest", arguments: offers)
    func negotiate(offer: [String], answer: String?) {
        #expect(PerMessageDeflate.negotiate(offer)?.responseHeader == answer)
    }

    @Test("a client accepts what it offered and fails the connection on anything else")
    func clientAccepts() throws {
        #expect(try PerMessageDeflate.clientAccepts([]) == nil)
        let agreement = try #require(try PerMessageDeflate.clientAccepts([Self.agreed]))
        #expect(agreement.serverNoContextTakeover && agreement.clientNoContextTakeover)
        let kept = try #require(try PerMessageDeflate.clientAccepts(["permessage-deflate; client_max_window_bits=10"]))
        #expect(!kept.serverNoContextTakeover, "a server that keeps its context: the client must keep its inflater's window")
        for unacceptable in [
            "x-webkit-deflate-frame", "permessage-deflate, permessage-deflate", "permessage-deflate; mystery",
            "permessage-deflate; server_max_window_bits=16", "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        ] {
            #expect(throws: PerMessageDeflate.ResponseError.self, "\(unacceptable)") { try PerMessageDeflate.clientAccepts([unacceptable]) }
        }
    }
}
