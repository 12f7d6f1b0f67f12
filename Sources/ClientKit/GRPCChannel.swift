import Glibc
import RPCCore
import Synchronization

/// A client channel to one gRPC server: HTTP/2 connections (TLS, or h2c on loopback) opened on
/// the first call and reopened after they close, carrying many calls at once. Works with any
/// gRPC server. A host name's addresses are tried in order; after a failed connection attempt,
/// calls fail at once with UNAVAILABLE until `ChannelConfiguration.connectionBackoff` allows the
/// next attempt. Unary calls are retried per `RetryPolicy` and repeated once after a credentials
/// refresh; calls refused unprocessed by a server going away are replayed transparently.
///
/// Call `close()` when done: it waits for the calls in progress, says GOAWAY and stops the loop.
public final class GRPCChannel: RPCChannel {
    /// The server's address.
    public let target: SocketAddress
    /// The channel's settings.
    public let configuration: ChannelConfiguration
    let loop: EventLoop
    let core: ChannelCore
    private let group: EventLoopGroup
    private let ownsGroup: Bool

    private enum Phase { case open, closing, closed }
    private struct Lifecycle {
        var phase = Phase.open
        var callsInProgress = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var closedWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let lifecycle = Mutex(Lifecycle())

    /// A channel to `target`. `tls` nil means HTTP/2 in cleartext (h2c), allowed only for a
    /// loopback target. With TLS the server certificate must chain to `tls.trustRootsFile` (or
    /// the system roots) and carry `tls.serverName` (default: the target host); a client
    /// certificate in `tls` is presented for mutual TLS. The channel runs on one loop of
    /// `eventLoopGroup`, or on a loop of its own when none is given.
    public convenience init(target: SocketAddress, tls: TLSConfiguration?, configuration: ChannelConfiguration = .init(),
                            eventLoopGroup: EventLoopGroup? = nil) throws {
        try self.init(target: target, tls: tls, configuration: configuration, eventLoopGroup: eventLoopGroup,
                      resolver: SystemAddressResolver())
    }

    /// A channel whose host names are resolved by `resolver` (tests substitute the addresses).
    init(target: SocketAddress, tls: TLSConfiguration?, configuration: ChannelConfiguration,
         eventLoopGroup: EventLoopGroup?, resolver: any AddressResolver) throws {
        precondition((1...ChannelConfiguration.maxConnections).contains(configuration.connections),
                     "a channel keeps 1...\(ChannelConfiguration.maxConnections) connections")
        guard tls != nil || target.isLoopback else {
            throw Status(.invalidArgument,
                         "refusing a plaintext (h2c) channel to \(target): without TLS only loopback targets are allowed")
        }
        let tlsContext: TLSContext?
        var serverName: String?
        if var tls {
            guard tls.applicationProtocols.contains("h2") else {
                throw Status(.invalidArgument, "the TLS configuration must offer ALPN h2 for gRPC")
            }
            tls.serverName = tls.serverName ?? target.host
            serverName = tls.serverName
            tlsContext = try TLSContext(configuration: tls, isServer: false)
        } else {
            tlsContext = nil
        }
        Self.ignoreBrokenPipes
        self.target = target
        self.configuration = configuration
        if let eventLoopGroup {
            group = eventLoopGroup
            ownsGroup = false
        } else {
            group = EventLoopGroup(count: 1)
            ownsGroup = true
        }
        loop = group.nextLoop()
        core = ChannelCore(loop: loop, target: target, configuration: configuration, tlsContext: tlsContext,
                           serverName: serverName, resolver: resolver)
        // Session credentials given no channel of their own sign in over this one.
        (configuration.credentials as? any ChannelAwareCredentials)?.configured(on: self)
    }

    /// The loop the channel's connections run on: unary calls run their awaits there.
    public var preferredExecutor: (any TaskExecutor)? { loop }

    deinit {
        // Not closed: stop the loop without waiting (its thread may be the one running this).
        if ownsGroup, lifecycle.withLock({ $0.phase != .closed }) {
            for loop in group.loops { loop.stop() }
        }
    }

    /// TLS writes with write(2): a server that vanished must not kill the process with SIGPIPE.
    private static let ignoreBrokenPipes: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    // MARK: RPCChannel

    public func makeCall(_ method: MethodDescriptor, metadata: Metadata, options: CallOptions) async throws
        -> any ClientCallStream {
        let start = ContinuousClock.now
        var metadata = metadata
        var options = options
        var admitted: [any ClientInterceptor] = []
        do {
            for interceptor in configuration.interceptors {
                try await interceptor.intercept(method: method, metadata: &metadata, options: &options)
                admitted.append(interceptor)
            }
        } catch {
            let status = error as? Status ?? Status(.cancelled, "an interceptor rejected the call: \(error)")
            await CallObserver(method: method, interceptors: admitted, start: start).report(status)
            throw status
        }
        let observer = CallObserver(method: method, interceptors: admitted, start: start)
        guard callBegan() else {
            let status = Status(.unavailable, "the channel is closed")
            await observer.report(status)
            throw status
        }
        let deadline = options.timeout.map { start + $0 }
        if method.type == .unary {
            return UnaryCall(channel: self, method: method, metadata: metadata, options: options, deadline: deadline,
                             observer: observer)
        }
        do throws(Status) {
            let full = try await withCredentials(metadata, for: method).merged
            return try startStream(method, metadata: full, options: options, deadline: deadline, observer: observer,
                                   countsAsCall: true)
        } catch {
            callEnded()
            await observer.report(error)
            throw error
        }
    }

    // MARK: Closing

    /// Closes the channel: new calls fail with UNAVAILABLE, calls in progress get `grace` to end
    /// (then they are cut off with UNAVAILABLE), every connection says GOAWAY and closes, and the
    /// channel's own loop stops.
    public func close(grace: Duration = .seconds(30)) async {
        let first = lifecycle.withLock { state -> Bool in
            guard state.phase == .open else { return false }
            state.phase = .closing
            return true
        }
        guard first else {
            await waitUntilClosed()
            return
        }
        let cutOff = Task { [loop, core] in
            guard (try? await Task.sleep(for: grace)) != nil else { return }
            loop.execute { core.forceCloseAll(reason: "the channel was closed and its grace period of \(grace) ended") }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = lifecycle.withLock { state -> Bool in
                if state.callsInProgress == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
        cutOff.cancel()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute { [core] in core.shutDown(continuation) }
        }
        if ownsGroup { group.shutdown() }
        let waiters = lifecycle.withLock { state in
            state.phase = .closed
            defer { state.closedWaiters.removeAll() }
            return state.closedWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let closed = lifecycle.withLock { state -> Bool in
                if state.phase == .closed { return true }
                state.closedWaiters.append(continuation)
                return false
            }
            if closed { continuation.resume() }
        }
    }

    /// Counts a call in; false once the channel is closing.
    private func callBegan() -> Bool {
        lifecycle.withLock { state in
            guard state.phase == .open else { return false }
            state.callsInProgress += 1
            return true
        }
    }

    /// Counts a call out (its final status is known).
    func callEnded() {
        let waiters = lifecycle.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.callsInProgress -= 1
            assert(state.callsInProgress >= 0, "more calls ended than began")
            guard state.callsInProgress == 0 else { return [] }
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Internal

    /// `metadata` with the credentials' metadata, which replaces caller values of the same keys,
    /// and what the credentials added (empty without credentials).
    func withCredentials(_ metadata: Metadata, for method: MethodDescriptor) async throws(Status)
        -> (merged: Metadata, added: Metadata) {
        guard let credentials = configuration.credentials else { return (metadata, Metadata()) }
        let added: Metadata
        do {
            added = try await credentials.metadata(for: method)
        } catch let status as Status {
            throw status
        } catch {
            throw Status(.unavailable, "the call credentials failed: \(error)")
        }
        var merged = metadata
        for key in Set(added.map(\.key)) { merged.removeAll(key) }
        for entry in added { merged.add(entry.key, value: entry.value) }
        return (merged, added)
    }

    /// Starts one call on the transport.
    func startStream(_ method: MethodDescriptor, metadata: Metadata, options: CallOptions,
                     deadline: ContinuousClock.Instant?, observer: CallObserver?, countsAsCall: Bool) throws(Status)
        -> ClientStream {
        let fields = try RequestMetadata.headerFields(for: metadata)
        let stream = ClientStream(channel: self, method: method, headerFields: fields, options: options,
                                  deadline: deadline, observer: observer, countsAsCall: countsAsCall)
        loop.execute { [core] in core.start(stream) }
        return stream
    }
}
