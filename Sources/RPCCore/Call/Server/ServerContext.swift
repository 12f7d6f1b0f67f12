import Synchronization

/// Everything a handler and the interceptors know about one incoming call.
public final class ServerContext: Sendable {
    /// The method being called.
    public let method: MethodDescriptor
    /// The metadata the client sent with its request headers.
    public let requestMetadata: Metadata
    /// When the call's deadline (`grpc-timeout`) passes, if the client set one.
    public let deadline: ContinuousClock.Instant?
    /// The connection's remote end.
    public let peer: PeerInfo
    /// An id for logs, unique per call: the client's `x-request-id` when the server accepted it,
    /// else one the server made. Built when first asked for (most calls never are).
    public var requestID: String {
        switch requestIDSource {
        case .given(let id): id
        case .generated(let prefix, let connection, let stream): "\(prefix)-\(String(connection, radix: 16))-\(stream)"
        }
    }

    /// Where a call's request id comes from.
    public enum RequestIDSource: Sendable {
        /// An id given as it is.
        case given(String)
        /// An id made of a per-process prefix, the connection's number and the stream's.
        case generated(prefix: String, connection: UInt64, stream: Int32)
    }

    private let requestIDSource: RequestIDSource

    private struct State {
        var initialMetadata = Metadata()
        var trailingMetadata = Metadata()
        var attributes: [ObjectIdentifier: any Sendable] = [:]
        var compressResponses = false
    }
    private let state = Mutex(State())
    /// Set by the transport when the call is cancelled (client reset, deadline, shutdown).
    private let cancelled = Atomic<Bool>(false)

    public convenience init(method: MethodDescriptor, requestMetadata: Metadata, deadline: ContinuousClock.Instant?,
                peer: PeerInfo, requestID: String) {
        self.init(method: method, requestMetadata: requestMetadata, deadline: deadline, peer: peer,
                  requestIDSource: .given(requestID))
    }

    public init(method: MethodDescriptor, requestMetadata: Metadata, deadline: ContinuousClock.Instant?,
                peer: PeerInfo, requestIDSource: RequestIDSource) {
        self.method = method
        self.requestMetadata = requestMetadata
        self.deadline = deadline
        self.peer = peer
        self.requestIDSource = requestIDSource
    }

    /// Time left before the deadline, if there is one.
    public var timeRemaining: Duration? {
        deadline.map { $0 - ContinuousClock.now }
    }

    /// Whether the client cancelled the call, its deadline passed or the server is stopping it.
    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Marks the call cancelled: the transport's to call, not a handler's.
    package func markCancelled() { cancelled.store(true, ordering: .releasing) }

    /// Metadata to send with the response headers; set before the first response message.
    public var initialMetadata: Metadata {
        get { state.withLock { $0.initialMetadata } }
        set { state.withLock { $0.initialMetadata = newValue } }
    }

    /// Metadata to send with the trailers.
    public var trailingMetadata: Metadata {
        get { state.withLock { $0.trailingMetadata } }
        set { state.withLock { $0.trailingMetadata = newValue } }
    }

    /// Whether response messages are compressed with the encoding the client accepts (default off).
    public var compressResponses: Bool {
        get { state.withLock { $0.compressResponses } }
        set { state.withLock { $0.compressResponses = newValue } }
    }

    /// A value an interceptor attached for later interceptors and the handler (e.g. the principal).
    public subscript<Key: ServerContextKey>(key: Key.Type) -> Key.Value? {
        get { state.withLock { $0.attributes[ObjectIdentifier(key)] as? Key.Value } }
        set { state.withLock { $0.attributes[ObjectIdentifier(key)] = newValue } }
    }
}

/// A typed key for values attached to a `ServerContext`.
public protocol ServerContextKey {
    associatedtype Value: Sendable
}
