import CNGHTTP2
import RPCCore

/// The status of a call whose stream the server reset before sending trailers, following
/// "Errors" in gRPC's PROTOCOL-HTTP2.md.
enum ResetStatus {
    static func status(forHTTP2ErrorCode code: UInt32) -> Status {
        switch code {
        case NGHTTP2_REFUSED_STREAM.rawValue:
            Status(.unavailable, "the server refused the stream (REFUSED_STREAM) before processing it")
        case NGHTTP2_CANCEL.rawValue:
            Status(.cancelled, "the server cancelled the call (RST_STREAM CANCEL)")
        case NGHTTP2_ENHANCE_YOUR_CALM.rawValue:
            Status(.resourceExhausted, "the server reset the call: ENHANCE_YOUR_CALM")
        case NGHTTP2_INADEQUATE_SECURITY.rawValue:
            Status(.permissionDenied, "the server reset the call: INADEQUATE_SECURITY")
        case NGHTTP2_NO_ERROR.rawValue:
            Status(.internalError, "the stream ended without trailers (no grpc-status)")
        default:
            Status(.internalError, "the server reset the call with HTTP/2 error code \(code)")
        }
    }
}
