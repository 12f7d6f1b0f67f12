import CNGHTTP2
import Glibc
import RPCCore

/// One HTTP/2 connection of a channel: its socket (TCP, optionally TLS), its nghttp2 session and
/// the calls multiplexed on it, all confined to the channel's event loop.
/// `@unchecked Sendable` only so that a name lookup's thread can hand it back to its loop; its
/// state is touched on the loop alone.
final class ClientConnection: SocketChannelDelegate, HTTP2SessionDelegate, @unchecked Sendable {
    /// Where the connection is in its life.
    enum State {
        /// Not connected yet (name lookup, TCP connect, TLS handshake, or not started before its
        /// first call); streams may already be queued.
        case connecting
        /// HTTP/2 is up.
        case ready
        /// GOAWAY received (or sent): the calls on it finish, no new ones start.
        case draining
        case closed
    }

    /// Strong, like the timers' references below: weak and unowned references put every retain of
    /// an object on the runtime's slow path. Closing the connection breaks the cycles.
    let core: ChannelCore
    let loop: EventLoop
    private(set) var state = State.connecting
    private(set) var session: HTTP2Session!
    private var channel: SocketChannel?
    private var streams: [Int32: ClientStream] = [:]
    private var writer = HTTP2FrameWriter()
    private var flushScheduled = false
    /// Set once TCP (and TLS) is up on some address: from then on the session has written to
    /// that socket, so a failure can no longer move on to another address.
    private var wasActive = false
    /// Set once the server's SETTINGS arrived: the attempt succeeded.
    private var isEstablished = false
    /// Set when the connection is closed on purpose (timeout, channel closing): no further
    /// address is tried.
    private var isAbandoned = false
    /// The attempt this connection is, once it started connecting.
    private var attempt: ConnectionAttempts.Attempt?
    /// The resolved addresses, tried in order; `nextAddress` is the index of the next to try.
    private var addresses: [ResolvedAddress] = []
    private var nextAddress = 0
    /// Why each address tried so far failed.
    private var addressFailures: [(address: String, error: String)] = []
    private var connectTimer: TimerID?
    private var keepaliveTimer: TimerID?
    private var pingAckTimer: TimerID?
    /// The message encodings the server said it accepts (`grpc-accept-encoding` of a response on
    /// this connection); nil until one said so.
    private(set) var serverAcceptedEncodings: Set<String>?

    init(core: ChannelCore) {
        self.core = core
        self.loop = core.loop
        session = HTTP2Session(isServer: false, limits: core.configuration.http2, delegate: self)
    }

    /// Calls in progress on this connection.
    var activeStreamCount: Int { streams.count }

    /// Whether new calls may start here.
    var acceptsNewStreams: Bool { state == .connecting || state == .ready }

    /// Starts connecting unless it already did (loop thread): one attempt under the channel's
    /// backoff, covering every resolved address within the attempt's timeout.
    func connectIfIdle() {
        loop.assertInEventLoop()
        guard attempt == nil, state == .connecting else { return }
        let attempt = core.beginConnectionAttempt()
        self.attempt = attempt
        connectTimer = loop.scheduleTimer(after: attempt.timeout) { [self] in
            self.connectTimer = nil
            forceClose(reason: "no HTTP/2 connection (name, TCP, TLS and the server's SETTINGS) within \(attempt.timeout)")
        }
        if let address = Socket.resolveNumeric(core.target) {
            connect(to: [address])
            return
        }
        // A host name: DNS may block, so it is looked up off the loop.
        let connection = self
        core.resolver.resolve(core.target) { [loop] result in
            loop.execute {
                guard connection.state == .connecting, connection.channel == nil, !connection.isAbandoned else { return }
                switch result {
                case .success(let addresses) where addresses.isEmpty:
                    connection.tearDown(error: "name resolution failed: no addresses for \(connection.core.target.host)")
                case .success(let addresses):
                    connection.connect(to: addresses)
                case .failure(let error):
                    connection.tearDown(error: "name resolution failed: \(error)")
                }
            }
        }
    }

    /// Tries `addresses` in order (gRPC's pick-first): the first where TCP and TLS come up carries
    /// the connection.
    private func connect(to addresses: [ResolvedAddress]) {
        self.addresses = addresses
        nextAddress = 0
        addressFailures = []
        openNextAddress()
    }

    /// Opens the next address that does not fail at once; when none is left the attempt has
    /// failed, with every address's error.
    private func openNextAddress() {
        while nextAddress < addresses.count {
            let address = addresses[nextAddress]
            nextAddress += 1
            do {
                try open(address)
                return
            } catch {
                addressFailures.append((address.description, "\(error)"))
            }
        }
        tearDown(error: addressFailureSummary)
    }

    /// One failure as it is; several, each named by its address.
    private var addressFailureSummary: String {
        if addressFailures.count == 1 { return addressFailures[0].error }
        let each = addressFailures.map { "\($0.address): \($0.error)" }.joined(separator: "; ")
        return "all \(addressFailures.count) addresses failed: \(each)"
    }

    /// Opens the socket (and TLS) to a resolved address.
    private func open(_ address: ResolvedAddress) throws {
        let fd = try Socket.connect(to: address)
        let tls: TLSConnection?
        do {
            tls = try core.tlsContext.map { context throws(TLSError) in
                try TLSConnection(context: context, fileDescriptor: fd, isServer: false, serverName: core.serverName)
            }
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        do {
            channel = try SocketChannel(loop: loop, fd: fd, peerAddress: core.target.description, tls: tls,
                                        isConnecting: true, delegate: self)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
    }

    /// Opens a stream for `stream`; false when the session can take no new stream.
    func attach(_ stream: ClientStream) -> Bool {
        loop.assertInEventLoop()
        guard acceptsNewStreams else { return false }
        let headers = stream.requestHeaders(scheme: core.scheme, authority: core.authority,
                                            serverAcceptedEncodings: serverAcceptedEncodings)
        guard let streamID = session.submitRequest(headers: headers) else {
            // Stream ids exhausted or the session is closing: this connection is done for new calls.
            state = .draining
            if attempt == nil { tearDown(error: "the HTTP/2 session took no stream") }
            return false
        }
        streams[streamID] = stream
        stream.attached(to: self, streamID: streamID)
        armKeepalive()
        scheduleFlush()
        return true
    }

    /// Sends GOAWAY (no new streams either way) and closes once the calls on it have finished.
    func shutDown() {
        switch state {
        case .closed:
            return
        case .connecting:
            forceClose(reason: "the channel was closed")
        case .ready, .draining:
            state = .draining
            session.goAway(errorCode: NGHTTP2_NO_ERROR.rawValue, lastStreamID: 0, debugData: "client closing")
            scheduleFlush()
        }
    }

    /// Closes at once, whatever addresses are left to try; the calls still on it end with UNAVAILABLE.
    func forceClose(reason: String) {
        isAbandoned = true
        if let channel { channel.close(error: reason) } else { tearDown(error: reason) }
    }

    // MARK: SocketChannelDelegate

    func channelActive(_ channel: SocketChannel) {
        if let tls = channel.tls, tls.negotiatedProtocol != "h2" {
            channel.close(error: "the server did not negotiate HTTP/2 with ALPN (got \(tls.negotiatedProtocol ?? "no protocol")); gRPC needs h2")
            return
        }
        wasActive = true
        if state == .connecting { state = .ready }
        flush()
    }

    func channelRead(_ channel: SocketChannel, _ bytes: UnsafeRawBufferPointer) {
        do {
            try session.receive(bytes)
        } catch {
            // nghttp2 has queued GOAWAY for most errors: send what it has, then close.
            flush()
            channel.close(error: "HTTP/2 protocol error from the server: \(error)")
            return
        }
        scheduleFlush()
    }

    func channelWritable(_ channel: SocketChannel) {
        channel.setReadingPaused(false)
        flush()
    }

    func channelClosed(_ channel: SocketChannel, error: String?) {
        if !wasActive, !isAbandoned, state == .connecting, nextAddress > 0 {
            // TCP or TLS failed on this address before the session wrote anything (HTTP2FrameWriter
            // writes to active channels only), so the same session can go to the next address.
            self.channel = nil
            addressFailures.append((addresses[nextAddress - 1].description, error ?? "closed by the server"))
            openNextAddress()
            return
        }
        tearDown(error: error)
    }

    /// The connection is over (closed, or it never got a socket): its calls fail with UNAVAILABLE.
    private func tearDown(error: String?) {
        guard state != .closed else { return }
        state = .closed
        for timer in [connectTimer, keepaliveTimer, pingAckTimer].compactMap({ $0 }) { loop.cancelTimer(timer) }
        connectTimer = nil
        keepaliveTimer = nil
        pingAckTimer = nil
        if let attempt, !isEstablished {
            core.connectionAttemptFailed(attempt, error: error ?? "the server closed the connection before HTTP/2 was up")
        }
        let reason: String
        if wasActive {
            reason = "the connection to \(core.target) closed" + (error.map { ": \($0)" } ?? " (by the server)")
        } else {
            reason = "cannot connect to \(core.target)" + (error.map { ": \($0)" } ?? "")
        }
        let open = streams
        streams.removeAll()
        for stream in open.values { stream.connectionLost(reason) }
        core.connectionClosed(self)
    }

    // MARK: Output

    /// Flushes once at the end of this loop iteration, so frames queued together share writes.
    func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        loop.atEndOfTick { [self] in
            flushScheduled = false
            flush()
        }
    }

    private func flush() {
        guard let channel else { return }
        writer.flush(session, to: channel)
    }

    // MARK: Keepalive

    /// Schedules the next PING while calls are in progress (and a ping is not already out).
    private func armKeepalive() {
        guard let interval = core.configuration.keepaliveInterval, keepaliveTimer == nil, pingAckTimer == nil,
              !streams.isEmpty, state != .closed else { return }
        keepaliveTimer = loop.scheduleTimer(after: interval) { [self] in
            self.keepaliveTimer = nil
            self.sendKeepalivePing()
        }
    }

    private func sendKeepalivePing() {
        guard !streams.isEmpty, state == .ready || state == .draining else { return }
        session.ping()
        scheduleFlush()
        let timeout = core.configuration.keepaliveTimeout
        pingAckTimer = loop.scheduleTimer(after: timeout) { [self] in
            self.pingAckTimer = nil
            self.channel?.close(error: "keepalive PING not acknowledged within \(timeout)")
        }
    }

    func http2PingAck() {
        guard let timer = pingAckTimer else { return }
        loop.cancelTimer(timer)
        pingAckTimer = nil
        armKeepalive()
    }

    // MARK: HTTP2SessionDelegate

    /// The server's SETTINGS: it speaks HTTP/2, the connection is up and the backoff starts over.
    func http2SettingsReceived() {
        if let timer = connectTimer {
            loop.cancelTimer(timer)
            connectTimer = nil
        }
        if !isEstablished {
            isEstablished = true
            core.connectionEstablished()
        }
    }

    // MARK: Compression

    /// Records the server's `grpc-accept-encoding` (a comma-separated list) from a response on
    /// this connection: calls attached afterwards compress only with an encoding in it.
    func recordServerAcceptEncoding(_ value: String) {
        let names = value.split(separator: ",").map { name in
            String(name.filter { $0 != " " && $0 != "\t" }).lowercased()
        }
        serverAcceptedEncodings = Set(names.filter { !$0.isEmpty })
    }

    func http2BeginHeaders(streamID: Int32, isTrailers: Bool) {
        streams[streamID]?.beginHeaders()
    }

    func http2Header(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        streams[streamID]?.header(name: name, value: value)
        return true
    }

    func http2HeadersComplete(streamID: Int32, isTrailers: Bool, endStream: Bool) {
        streams[streamID]?.headersComplete(isTrailers: isTrailers, endStream: endStream)
    }

    func http2Data(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        if let stream = streams[streamID] {
            stream.receiveData(bytes, on: self, streamID: streamID)
        } else {
            session.consume(streamID: streamID, count: bytes.count)
        }
    }

    func http2DataEndStream(streamID: Int32) {
        streams[streamID]?.dataEndStream()
    }

    func http2StreamClosed(streamID: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        stream.streamClosed(errorCode: errorCode)
        if streams.isEmpty, let timer = keepaliveTimer {
            loop.cancelTimer(timer)
            keepaliveTimer = nil
        }
        scheduleFlush()
    }

    func http2ReadBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2BodyChunk {
        guard let stream = streams[streamID] else { return .end(0, trailers: nil) }
        return stream.readBody(into: buffer)
    }

    func http2GoAway(lastStreamID: Int32, errorCode: UInt32) {
        // nghttp2 closes the streams above lastStreamID with REFUSED_STREAM: they replay elsewhere.
        if state != .closed { state = .draining }
        scheduleFlush()
    }
}
