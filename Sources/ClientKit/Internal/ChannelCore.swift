import RPCCore

/// The loop-confined half of a channel: its connections and the codec state they share.
/// Everything here runs on `loop`.
final class ChannelCore: @unchecked Sendable {
    let loop: EventLoop
    let target: SocketAddress
    let configuration: ChannelConfiguration
    let tlsContext: TLSContext?
    /// The name the server certificate must carry (and SNI, for host names).
    let serverName: String?
    /// `:scheme` of every request.
    let scheme: String
    /// `:authority` of every request.
    let authority: String
    /// Turns a target host name into the addresses to try.
    let resolver: any AddressResolver

    private var connections: [ClientConnection] = []
    private var attempts: ConnectionAttempts
    private var isShutDown = false
    private var shutdownWaiter: CheckedContinuation<Void, Never>?

    /// How long `shutDown` waits for connections to send GOAWAY and close before closing them.
    static let shutdownGrace: Duration = .seconds(1)

    init(loop: EventLoop, target: SocketAddress, configuration: ChannelConfiguration, tlsContext: TLSContext?,
         serverName: String?, resolver: any AddressResolver) {
        self.loop = loop
        self.target = target
        self.configuration = configuration
        self.tlsContext = tlsContext
        self.serverName = serverName
        self.resolver = resolver
        self.attempts = ConnectionAttempts(policy: configuration.connectionBackoff)
        self.scheme = tlsContext == nil ? "http" : "https"
        if let authority = configuration.authority {
            self.authority = authority
        } else {
            let host = serverName ?? target.host
            self.authority = SocketAddress(host: host, port: target.port).description
        }
    }

    /// This channel's gzip codecs (loop-confined, made on first use, reused across calls).
    lazy var gzipCompressor = GzipCompressor()
    lazy var gzipDecompressor = GzipDecompressor()

    // MARK: Calls

    /// Puts a call on a connection, opening one when none can take it — unless the last attempt
    /// to connect failed and its backoff has not passed: then the call fails at once.
    func start(_ stream: ClientStream) {
        loop.assertInEventLoop()
        guard stream.finalStatus == nil else { return }
        guard !isShutDown else {
            stream.fail(Status(.unavailable, "the channel is closed"))
            return
        }
        if let deadline = stream.deadline, deadline <= .now {
            stream.fail(Status(.deadlineExceeded, "deadline exceeded before the call could start"))
            return
        }
        stream.armDeadline()
        // A connection found closing while we attach gets one replacement.
        for _ in 0..<2 {
            let connection: ClientConnection
            do throws(Status) {
                connection = try pickConnection()
            } catch {
                stream.fail(error)
                return
            }
            if connection.attach(stream) {
                // A new connection starts connecting with its first call on it, so that a failure
                // to connect reaches that call with its own error.
                connection.connectIfIdle()
                return
            }
        }
        stream.fail(Status(.unavailable, "no connection to \(target) could take the call"))
    }

    /// The connection with the fewest calls among those taking new ones; a new connection (not
    /// yet connecting) when there is none, or when every one is busy and the pool has room.
    /// Throws UNAVAILABLE when a new connection is needed while backing off.
    private func pickConnection() throws(Status) -> ClientConnection {
        let usable = connections.filter(\.acceptsNewStreams)
        let best = usable.min(by: { $0.activeStreamCount < $1.activeStreamCount })
        if let best, best.activeStreamCount == 0 || usable.count >= configuration.connections {
            return best
        }
        if let refusal = attempts.refusal(at: .now, target: target) {
            // A busy connection still beats failing the call.
            if let best { return best }
            throw refusal
        }
        let connection = ClientConnection(core: self)
        connections.append(connection)
        return connection
    }

    // MARK: Connection events

    /// The schedule of a connection attempt starting now.
    func beginConnectionAttempt() -> ConnectionAttempts.Attempt {
        attempts.begin(at: .now)
    }

    /// An attempt ended without HTTP/2 (refused, unreachable, TLS, no SETTINGS in time, name
    /// resolution): new connections wait for its backoff.
    func connectionAttemptFailed(_ attempt: ConnectionAttempts.Attempt, error: String) {
        guard !isShutDown else { return }
        attempts.failed(attempt, error: error)
    }

    /// A connection is up (the server's SETTINGS arrived): the backoff starts over.
    func connectionEstablished() {
        attempts.succeeded()
    }

    func connectionClosed(_ connection: ClientConnection) {
        connections.removeAll { $0 === connection }
        if isShutDown && connections.isEmpty, let waiter = shutdownWaiter {
            shutdownWaiter = nil
            waiter.resume()
        }
    }

    // MARK: Closing

    /// Closes every connection now; their calls end with UNAVAILABLE.
    func forceCloseAll(reason: String) {
        loop.assertInEventLoop()
        for connection in connections { connection.forceClose(reason: reason) }
    }

    /// Sends GOAWAY on every connection and resumes `waiter` once all are closed (forcing them
    /// closed after `shutdownGrace`). Calls started afterwards fail with UNAVAILABLE.
    func shutDown(_ waiter: CheckedContinuation<Void, Never>) {
        loop.assertInEventLoop()
        isShutDown = true
        guard !connections.isEmpty else {
            waiter.resume()
            return
        }
        shutdownWaiter = waiter
        for connection in connections { connection.shutDown() }
        loop.scheduleTimer(after: Self.shutdownGrace) { [self] in
            for connection in connections { connection.forceClose(reason: "the channel was closed") }
        }
    }
}
