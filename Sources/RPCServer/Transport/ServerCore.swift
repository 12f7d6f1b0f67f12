import CLinux
import Glibc
import RPCCore
import Synchronization

/// What every connection of a server shares: configuration, routes, interceptors, TLS, counters.
/// Immutable after start except for the atomic counters and the per-loop connection sets.
final class ServerCore: Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let interceptors: [any ServerInterceptor]
    let log: Logger
    let tlsContext: TLSContext?
    let connectionCount = Atomic<Int>(0)
    private let nextConnectionID = Atomic<UInt64>(0)
    private let allConnectionsClosed = Mutex<[CheckedContinuation<Void, Never>]>([])
    /// A random prefix making request ids unique across server processes.
    let requestIDPrefix: String

    init(configuration: ServerConfiguration, router: Router, interceptors: [any ServerInterceptor],
         log: Logger, tlsContext: TLSContext?) {
        self.configuration = configuration
        self.router = router
        self.interceptors = interceptors
        self.log = log
        self.tlsContext = tlsContext
        var random: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &random) { getrandom($0.baseAddress, 8, 0) }
        self.requestIDPrefix = String(random & 0xFFFF_FFFF, radix: 16)
    }

    func makeConnectionID() -> UInt64 {
        nextConnectionID.wrappingAdd(1, ordering: .relaxed).newValue
    }

    func connectionClosed(_ connection: ServerConnection) {
        if connectionCount.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            let waiters = allConnectionsClosed.withLock { waiters in
                defer { waiters.removeAll() }
                return waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Waits until no connection is open.
    func waitForAllConnectionsClosed() async {
        await withCheckedContinuation { continuation in
            let resumeNow = allConnectionsClosed.withLock { waiters -> Bool in
                if connectionCount.load(ordering: .acquiring) == 0 { return true }
                waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    // MARK: Dispatch (loop thread)

    /// Checks a request's headers and starts its handler, or answers at once with an error
    /// (Trailers-Only) when the request cannot be served.
    func dispatch(_ stream: ServerStream, peer: PeerInfo) {
        let limits = configuration.limits
        if stream.headerListOverflow {
            stream.finish(status: Status(.resourceExhausted,
                                         "request headers exceed the limit of \(limits.http2.maxHeaderListBytes) bytes"))
            return
        }
        guard stream.isPost else {
            stream.finish(status: Status(.internalError, "gRPC requires the POST method, got \(stream.otherMethod ?? "none")"),
                          httpStatus: 405)
            return
        }
        guard stream.isGRPCContentType else {
            stream.finish(status: Status(.invalidArgument, "unsupported content-type \(stream.otherContentType ?? "(none)"): expected application/grpc"),
                          httpStatus: 415)
            return
        }
        guard stream.hasTrailersTE else {
            stream.finish(status: Status(.invalidArgument, "missing header te: trailers (required by gRPC over HTTP/2)"))
            return
        }
        var timeout: Duration?
        if let text = stream.timeoutText {
            guard let parsed = GRPCTimeout.parse(text) else {
                stream.finish(status: Status(.invalidArgument, "malformed grpc-timeout \"\(text)\": expected 1-8 digits and a unit (H, M, S, m, u, n)"))
                return
            }
            timeout = parsed
        }
        if let encoding = stream.requestEncoding, encoding != "identity", encoding != "gzip" {
            stream.finish(status: Status(.unimplemented, "grpc-encoding \(encoding) is not supported (supported: identity, gzip)"))
            return
        }
        if let problem = stream.invalidHeader {
            stream.finish(status: Status(.invalidArgument, problem))
            return
        }
        let method: ServerMethod
        switch router.route(stream.path ?? "") {
        case .found(let found):
            method = found
        case .unknownService(let service):
            stream.finish(status: Status(.unimplemented, "unknown service \(service)"))
            return
        case .unknownMethod(let service, let name):
            stream.finish(status: Status(.unimplemented, "unknown method \(name) for service \(service)"))
            return
        }

        let requestID: ServerContext.RequestIDSource
        if let given = stream.requestMetadata["x-request-id"], RequestID.isAcceptable(given) {
            requestID = .given(given)
        } else {
            requestID = .generated(prefix: requestIDPrefix, connection: stream.connection.id, stream: stream.id)
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let context = ServerContext(method: method.descriptor, requestMetadata: stream.requestMetadata,
                                    deadline: deadline, peer: peer, requestIDSource: requestID)
        stream.context = context
        if let timeout {
            // A strong reference (weak ones slow every retain of the stream); finishing or
            // closing the stream cancels the timer.
            stream.deadlineTimer = stream.loop.scheduleTimer(after: timeout) {
                stream.deadlineExpired(after: timeout)
            }
        }
        stream.prepareHandler(method, startNow: method.descriptor.type.isRequestStreaming)
    }

    /// Runs the interceptors in order, then the handler.
    static func runChain(_ interceptors: ArraySlice<any ServerInterceptor>, context: ServerContext,
                         handler: @escaping @Sendable () async throws -> Void) async throws {
        guard let first = interceptors.first else {
            try await handler()
            return
        }
        let rest = interceptors.dropFirst()
        try await first.intercept(context: context) {
            try await runChain(rest, context: context, handler: handler)
        }
    }
}

/// Rules for a client-supplied `x-request-id`.
enum RequestID {
    /// The most characters kept from a client's request id.
    static let maxLength = 64

    /// Whether a client's id may be used in logs as it is (short, plain characters).
    static func isAcceptable(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= maxLength else { return false }
        return text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }
}
