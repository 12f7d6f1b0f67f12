extension Status.Code {
    /// The code for an HTTP response that carries no `grpc-status`, following gRPC's
    /// http-grpc-status-mapping.md (used when a proxy or a non-gRPC server answered).
    public init(httpStatus: Int) {
        switch httpStatus {
        case 400: self = .internalError
        case 401: self = .unauthenticated
        case 403: self = .permissionDenied
        case 404: self = .unimplemented
        case 429, 502, 503, 504: self = .unavailable
        default: self = .unknown
        }
    }
}

extension Status {
    /// The status that ends a call whose incoming messages broke gRPC's framing; `what` names
    /// them ("request" or "response").
    public init(framingError: FramingError, in what: String) {
        switch framingError {
        case .messageTooLarge(let declared, let limit):
            self.init(.resourceExhausted, "\(what) message of \(declared) bytes exceeds the limit of \(limit) bytes")
        case .invalidCompressionFlag, .truncated:
            self.init(.internalError, "invalid \(what) framing: \(framingError)")
        }
    }
}
