/// WebSocket close codes (RFC 6455 §7.4 and the IANA registry), with what each means to a learner reading the events.
public enum CloseCode {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let unsupportedData: UInt16 = 1003
    /// Never sent: a close frame that carried no code.
    public static let noStatus: UInt16 = 1005
    /// Never sent: the connection ended without a close frame.
    public static let abnormal: UInt16 = 1006
    public static let invalidPayload: UInt16 = 1007
    public static let policyViolation: UInt16 = 1008
    public static let messageTooBig: UInt16 = 1009
    public static let mandatoryExtension: UInt16 = 1010
    public static let internalError: UInt16 = 1011
    public static let serviceRestart: UInt16 = 1012
    public static let tryAgainLater: UInt16 = 1013

    /// Whether a peer may send `code` in a close frame (RFC 6455 §7.4.1 and §7.4.2: 1004, 1005, 1006 and 1015 are
    /// reserved and must not be sent; below 1000 and 1016–2999 are unassigned; 3000–4999 belong to libraries and
    /// applications). A close frame with any other code fails the connection with 1002.
    public static func mayBeSent(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    /// A short name for `code`, for event logs.
    public static func name(_ code: Int) -> String {
        switch code {
        case 1000: "normal closure"
        case 1001: "going away"
        case 1002: "protocol error"
        case 1003: "unsupported data"
        case 1005: "no status"
        case 1006: "abnormal closure"
        case 1007: "invalid payload"
        case 1008: "policy violation"
        case 1009: "message too big"
        case 1010: "mandatory extension"
        case 1011: "internal error"
        case 1012: "service restart"
        case 1013: "try again later"
        case 3000...3999: "registered"
        case 4000...4999: "application"
        default: "unknown"
        }
    }
}
