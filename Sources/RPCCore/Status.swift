/// The outcome of an RPC: a gRPC status code and a message a person can act on.
public struct Status: Error, Sendable, Hashable, CustomStringConvertible {
    /// The gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
    public enum Code: Int, Sendable, Hashable, CaseIterable {
        case ok = 0
        case cancelled = 1
        case unknown = 2
        case invalidArgument = 3
        case deadlineExceeded = 4
        case notFound = 5
        case alreadyExists = 6
        case permissionDenied = 7
        case resourceExhausted = 8
        case failedPrecondition = 9
        case aborted = 10
        case outOfRange = 11
        case unimplemented = 12
        case internalError = 13
        case unavailable = 14
        case dataLoss = 15
        case unauthenticated = 16

        /// The code a peer's `grpc-status` value stands for; out-of-range values become `unknown`.
        public init(wireValue: Int) {
            self = Code(rawValue: wireValue) ?? .unknown
        }
    }

    /// The status code.
    public var code: Code
    /// The human-readable message sent as `grpc-message`.
    public var message: String
    /// Trailing metadata sent (or received) with this status.
    public var metadata: Metadata

    /// A status with a code, a message and optional trailing metadata.
    public init(_ code: Code, _ message: String = "", metadata: Metadata = [:]) {
        self.code = code
        self.message = message
        self.metadata = metadata
    }

    /// The successful status.
    public static let ok = Status(.ok)

    public var description: String {
        message.isEmpty ? "\(code)" : "\(code): \(message)"
    }
}
