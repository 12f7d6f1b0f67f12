import CNGHTTP2
import RPCCore

/// One accepted HTTP/2 connection: its socket, its nghttp2 session and its calls, all on one loop.
final class ServerConnection: SocketChannelDelegate, HTTP2SessionDelegate {
    let loop: EventLoop
    let server: ServerCore
    let listener: Listener
    let limits: ServerLimits
    let id: UInt64
    private(set) var channel: SocketChannel!
    private(set) var session: HTTP2Session!
    private var streams: [Int32: ServerStream] = [:]
    /// The stream last looked up: nghttp2 calls back for one stream many times in a row (a
    /// header at a time), and this spares the dictionary lookup for each.
    private var recentStream: ServerStream?
    private var writer = HTTP2FrameWriter()
    private var flushScheduled = false
    private var handshakeTimer: TimerID?
    private var idleTimer: TimerID?
    private var prefaceReceived = false
    private(set) var isDraining = false
    private var peer: PeerInfo?

    private var internedHeaders = HeaderStringCache()

    /// A String for header bytes, reused from earlier requests on this connection when the bytes
    /// are the same (clients send the same path and metadata again and again).
    func internedString(_ bytes: UnsafeRawBufferPointer) -> String {
        internedHeaders.string(for: bytes)
    }

    /// This connection's gzip codecs (loop-confined, made on first use, reused across calls).
    lazy var gzipCompressor = GzipCompressor()
    lazy var gzipDecompressor = GzipDecompressor()

    init(loop: EventLoop, server: ServerCore, listener: Listener, id: UInt64) {
        self.loop = loop
        self.server = server
        self.listener = listener
        self.limits = server.configuration.limits
        self.id = id
    }

    /// Takes over an accepted socket.
    func start(fd: Int32, peerAddress: String) throws {
        let tls = try server.tlsContext.map { context throws(TLSError) in
            try TLSConnection(context: context, fileDescriptor: fd, isServer: true, serverName: nil)
        }
        session = HTTP2Session(isServer: true, limits: limits.http2, delegate: self)
        channel = try SocketChannel(loop: loop, fd: fd, peerAddress: peerAddress, tls: tls, isConnecting: false, delegate: self)
        // Timers hold the connection strongly (no weak references: they would put every retain of
        // the connection on the runtime's slow path); closing the connection cancels them.
        handshakeTimer = loop.scheduleTimer(after: limits.handshakeTimeout) { [self] in
            self.handshakeTimer = nil
            self.server.log.info("connection closed: handshake timeout", ["peer": peerAddress])
            self.channel.close(error: "handshake timeout")
        }
    }

    // MARK: SocketChannelDelegate

    func channelActive(_ channel: SocketChannel) {
        if let tls = channel.tls {
            guard tls.negotiatedProtocol == "h2" else {
                server.log.info("connection refused: TLS peer did not negotiate h2", ["peer": channel.peerAddress])
                channel.close(error: "no ALPN h2")
                return
            }
        }
        peer = PeerInfo(address: channel.peerAddress, isSecure: channel.tls != nil, certificate: channel.tls?.peerCertificate)
        scheduleFlush()
    }

    func channelRead(_ channel: SocketChannel, _ bytes: UnsafeRawBufferPointer) {
        do {
            try session.receive(bytes)
        } catch {
            server.log.info("connection closed: HTTP/2 protocol error", ["peer": channel.peerAddress, "error": "\(error)"])
            // Tell the peer why before closing: GOAWAY, flushed, then the socket closes.
            let code = error.code == NGHTTP2_ERR_FLOODED.rawValue || error.code == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue
                ? NGHTTP2_ENHANCE_YOUR_CALM.rawValue : NGHTTP2_PROTOCOL_ERROR.rawValue
            session.terminate(errorCode: code)
            flush()
            channel.close(error: "\(error)")
            return
        }
        scheduleFlush()
    }

    func channelWritable(_ channel: SocketChannel) {
        channel.setReadingPaused(false)
        flush()
    }

    func channelClosed(_ channel: SocketChannel, error: String?) {
        if let timer = handshakeTimer { loop.cancelTimer(timer) }
        if let timer = idleTimer { loop.cancelTimer(timer) }
        handshakeTimer = nil
        idleTimer = nil
        let open = streams
        streams.removeAll()
        recentStream = nil
        for stream in open.values { stream.closed(errorCode: NGHTTP2_CANCEL.rawValue) }
        listener.remove(self)
        server.connectionClosed(self)
    }

    // MARK: Output

    /// Flushes once at the end of this loop iteration, so responses completed together share writes.
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

    // MARK: HTTP2SessionDelegate

    func http2SettingsReceived() {
        guard !prefaceReceived else { return }
        prefaceReceived = true
        if let timer = handshakeTimer {
            loop.cancelTimer(timer)
            handshakeTimer = nil
        }
        armIdleTimer()
    }

    func http2BeginHeaders(streamID: Int32, isTrailers: Bool) {
        guard !isTrailers else { return }
        let stream = ServerStream(id: streamID, connection: self)
        streams[streamID] = stream
        recentStream = stream
        if let timer = idleTimer {
            loop.cancelTimer(timer)
            idleTimer = nil
        }
    }

    private func stream(_ id: Int32) -> ServerStream? {
        if let recent = recentStream, recent.id == id { return recent }
        let found = streams[id]
        if found != nil { recentStream = found }
        return found
    }

    func http2Header(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard let stream = stream(streamID), stream.context == nil else { return true }
        stream.addHeader(name: name, value: value)
        return true
    }

    func http2HeadersComplete(streamID: Int32, isTrailers: Bool, endStream: Bool) {
        guard let stream = stream(streamID) else { return }
        if !isTrailers && stream.context == nil && !stream.isFinished {
            server.dispatch(stream, peer: peer ?? PeerInfo(address: channel.peerAddress, isSecure: false, certificate: nil))
        }
        if endStream { stream.receiveEndStream() }
    }

    func http2Data(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        if let stream = stream(streamID) {
            stream.receiveData(bytes)
        } else {
            session.consume(streamID: streamID, count: bytes.count)
        }
    }

    func http2DataEndStream(streamID: Int32) {
        stream(streamID)?.receiveEndStream()
    }

    func http2StreamClosed(streamID: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        if recentStream === stream { recentStream = nil }
        stream.closed(errorCode: errorCode)
        if streams.isEmpty {
            if isDraining {
                scheduleFlush()
            } else {
                armIdleTimer()
            }
        }
    }

    func http2ReadBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2BodyChunk {
        guard let stream = stream(streamID) else { return .end(0, trailers: nil) }
        return stream.readBody(into: buffer)
    }

    func http2GoAway(lastStreamID: Int32, errorCode: UInt32) {}

    func http2EndStreamSent(streamID: Int32) {
        stream(streamID)?.endStreamSent()
    }

    // MARK: Lifecycle

    private func armIdleTimer() {
        guard idleTimer == nil, streams.isEmpty, !isDraining else { return }
        idleTimer = loop.scheduleTimer(after: limits.idleTimeout) { [self] in
            self.idleTimer = nil
            guard self.streams.isEmpty else { return }
            self.server.log.debug("connection idle: closing", ["peer": self.channel.peerAddress])
            self.drain(debugMessage: "idle timeout")
        }
    }

    /// Sends GOAWAY: calls in progress finish, no new ones start; the connection closes when idle.
    func drain(debugMessage: String) {
        guard !isDraining, channel.isOpen else { return }
        isDraining = true
        session.goAway(errorCode: NGHTTP2_NO_ERROR.rawValue, debugData: debugMessage)
        scheduleFlush()
    }

    /// Cancels every call and closes the connection at once (the grace period has run out).
    func forceClose() {
        guard channel.isOpen else { return }
        for stream in streams.values {
            stream.finish(status: Status(.unavailable, "the server is shutting down"))
        }
        flush()
        channel.close(error: "server shutdown")
    }
}
