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
        /// TCP connect or TLS handshake in progress; streams may already be queued.
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
    private var wasActive = false
    private var connectTimer: TimerID?
    private var keepaliveTimer: TimerID?
    private var pingAckTimer: TimerID?

    init(core: ChannelCore) {
        self.core = core
        self.loop = core.loop
    }

    /// Calls in progress on this connection.
    var activeStreamCount: Int { streams.count }

    /// Whether new calls may start here.
    var acceptsNewStreams: Bool { state == .connecting || state == .ready }

    /// Starts connecting (loop thread). Throws when the connection cannot even be attempted.
    func connect() throws {
        loop.assertInEventLoop()
        session = HTTP2Session(isServer: false, limits: core.configuration.http2, delegate: self)
        let timeout = core.configuration.connectTimeout
        connectTimer = loop.scheduleTimer(after: timeout) { [self] in
            self.connectTimer = nil
            let reason = "no HTTP/2 connection (name, TCP, TLS and the server's SETTINGS) within \(timeout)"
            if let channel = self.channel { channel.close(error: reason) } else { self.tearDown(error: reason) }
        }
        if let address = Socket.resolveNumeric(core.target) {
            do {
                try open(address)
            } catch {
                if let timer = connectTimer { loop.cancelTimer(timer) }
                connectTimer = nil
                throw error
            }
            return
        }
        // A host name: DNS may block, so it is looked up on a thread of its own, never the loop.
        let connection = self
        ResolvedAddress.resolveInBackground(core.target) { [loop] result in
            loop.execute {
                guard connection.state == .connecting, connection.channel == nil else { return }
                switch result {
                case .success(let address):
                    do {
                        try connection.open(address)
                    } catch {
                        connection.tearDown(error: "\(error)")
                    }
                case .failure(let error):
                    connection.tearDown(error: "name resolution failed: \(error)")
                }
            }
        }
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
        let headers = stream.requestHeaders(scheme: core.scheme, authority: core.authority)
        guard let streamID = session.submitRequest(headers: headers) else {
            // Stream ids exhausted or the session is closing: this connection is done for new calls.
            state = .draining
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
            channel?.close(error: "the channel was closed")
        case .ready, .draining:
            state = .draining
            session.goAway(errorCode: NGHTTP2_NO_ERROR.rawValue, lastStreamID: 0, debugData: "client closing")
            scheduleFlush()
        }
    }

    /// Closes at once; the calls still on it end with UNAVAILABLE.
    func forceClose(reason: String) {
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

    /// The server's SETTINGS: it speaks HTTP/2, the connection is up.
    func http2SettingsReceived() {
        if let timer = connectTimer {
            loop.cancelTimer(timer)
            connectTimer = nil
        }
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
