import CLinux
import Glibc

/// What a socket channel reports to the protocol on top of it. Called on the loop thread only.
public protocol SocketChannelDelegate: AnyObject {
    /// The connection is ready for application bytes (TCP connected, TLS handshake done).
    func channelActive(_ channel: SocketChannel)
    /// Bytes arrived. The buffer is valid only during the call.
    func channelRead(_ channel: SocketChannel, _ bytes: UnsafeRawBufferPointer)
    /// Buffered output has drained: the protocol may produce more.
    func channelWritable(_ channel: SocketChannel)
    /// The connection is closed; `error` says why when it was not an orderly close.
    func channelClosed(_ channel: SocketChannel, error: String?)
}

/// One non-blocking TCP connection, optionally under TLS, confined to one event loop: reads into
/// the loop's shared buffer, writes what the socket takes and keeps the rest.
public final class SocketChannel: EventLoopSelectable {
    /// The loop that owns this connection.
    public let loop: EventLoop
    /// The socket.
    public let fd: Int32
    /// The remote address, for logs and `PeerInfo`.
    public let peerAddress: String
    /// The TLS session, when the connection is secure.
    public let tls: TLSConnection?
    /// Receives the channel's events; cleared when the channel closes.
    public var delegate: SocketChannelDelegate?

    /// The most reads handled per readiness event before giving other connections a turn.
    static let maxReadsPerEvent = 16

    private enum State { case connecting, handshaking, active, closed }
    private var state: State
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var registeredEvents: UInt32 = 0
    private var readingPaused = false

    /// Wraps an accepted (server) or connecting (client) socket and registers it with the loop.
    public init(loop: EventLoop, fd: Int32, peerAddress: String, tls: TLSConnection?, isConnecting: Bool,
                delegate: SocketChannelDelegate) throws(SystemError) {
        loop.assertInEventLoop()
        self.loop = loop
        self.fd = fd
        self.peerAddress = peerAddress
        self.tls = tls
        self.delegate = delegate
        self.state = isConnecting ? .connecting : (tls == nil ? .active : .handshaking)
        let events = isConnecting ? EPOLLOUT.rawValue : EPOLLIN.rawValue
        try loop.register(fd, events: events | EPOLLRDHUP.rawValue, handler: self)
        registeredEvents = events | EPOLLRDHUP.rawValue
        if state == .active {
            loop.executeLocal { [self] in if state == .active { self.delegate?.channelActive(self) } }
        }
    }

    /// Whether the channel is open.
    public var isOpen: Bool { state != .closed }
    /// Whether the channel has finished connecting and handshaking.
    public var isActive: Bool { state == .active }
    /// Bytes accepted by `write` that the socket has not taken yet.
    public var pendingOutputBytes: Int { pending.count - pendingOffset }

    public func handleEvents(_ events: UInt32) {
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 && events & EPOLLIN.rawValue == 0 {
            // The socket's own error says why (a refused connect, say), when it has one.
            let error = Socket.pendingError(fd)
            close(error: error != 0 ? SystemError(state == .connecting ? "connect" : "socket", errno: error).description : "connection reset")
            return
        }
        switch state {
        case .connecting:
            let error = Socket.pendingError(fd)
            guard error == 0 else {
                close(error: SystemError("connect", errno: error).description)
                return
            }
            state = tls == nil ? .active : .handshaking
            if state == .active {
                updateInterest()
                delegate?.channelActive(self)
            } else {
                driveHandshake()
            }
        case .handshaking:
            driveHandshake()
        case .active:
            if events & EPOLLOUT.rawValue != 0 { flushPending() }
            if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue) != 0 && !readingPaused {
                readAvailable()
            }
        case .closed:
            break
        }
    }

    // MARK: Writing

    /// Writes as much as the socket takes now and keeps the rest for later, in order.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard state == .active, bytes.count > 0 else { return }
        if pendingOutputBytes > 0 {
            pending.append(contentsOf: bytes)
            return
        }
        let written = send(bytes)
        guard state == .active else { return }
        if written < bytes.count {
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[written...]))
            updateInterest()
        }
    }

    /// Stops or resumes reading (backpressure when the peer does not take our output).
    public func setReadingPaused(_ paused: Bool) {
        guard readingPaused != paused else { return }
        readingPaused = paused
        updateInterest()
    }

    /// Closes the socket (sending TLS close_notify first when possible) and reports it once.
    public func close(error: String? = nil) {
        guard state != .closed else { return }
        state = .closed
        tls?.shutdown()
        loop.unregister(fd)
        Glibc.close(fd)
        pending = []
        let delegate = self.delegate
        self.delegate = nil
        delegate?.channelClosed(self, error: error)
    }

    private func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            let chunk = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            if let tls {
                switch tls.write(chunk) {
                case .bytes(let count): offset += count
                case .wantRead, .wantWrite: return offset
                case .closed:
                    close(error: nil)
                    return offset
                case .failed(let message):
                    close(error: "TLS write failed: \(message)")
                    return offset
                }
            } else {
                let count = Glibc.send(fd, chunk.baseAddress, chunk.count, Int32(MSG_NOSIGNAL))
                if count >= 0 {
                    offset += count
                } else if errno == EAGAIN || errno == EWOULDBLOCK {
                    return offset
                } else if errno != EINTR {
                    close(error: SystemError("send").description)
                    return offset
                }
            }
        }
        return offset
    }

    private func flushPending() {
        guard pendingOutputBytes > 0 else {
            updateInterest()
            delegate?.channelWritable(self)
            return
        }
        let written = pending.withUnsafeBytes { raw in
            send(UnsafeRawBufferPointer(rebasing: raw[pendingOffset...]))
        }
        guard state == .active else { return }
        pendingOffset += written
        if pendingOffset == pending.count {
            pending.removeAll(keepingCapacity: pending.capacity <= 256 * 1024)
            pendingOffset = 0
            updateInterest()
            delegate?.channelWritable(self)
        } else if pendingOffset > 64 * 1024 {
            pending.removeFirst(pendingOffset)
            pendingOffset = 0
        }
    }

    // MARK: Reading

    private func readAvailable() {
        let buffer = loop.readBuffer
        defer {
            // OpenSSL may hold decrypted bytes that will not make the socket readable again.
            if state == .active, !readingPaused, let tls, tls.hasBufferedReadableBytes {
                loop.executeLocal { [self] in readAvailable() }
            }
        }
        for _ in 0..<Self.maxReadsPerEvent {
            guard state == .active, !readingPaused else { return }
            if let tls {
                switch tls.read(into: buffer) {
                case .bytes(let count):
                    delegate?.channelRead(self, UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                case .wantRead:
                    return
                case .wantWrite:
                    updateInterest(forceWritable: true)
                    return
                case .closed:
                    close(error: nil)
                    return
                case .failed(let message):
                    close(error: "TLS read failed: \(message)")
                    return
                }
            } else {
                let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if count > 0 {
                    delegate?.channelRead(self, UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                    if count < buffer.count { return }
                } else if count == 0 {
                    close(error: nil)
                    return
                } else if errno == EAGAIN || errno == EWOULDBLOCK {
                    return
                } else if errno != EINTR {
                    close(error: SystemError("read").description)
                    return
                }
            }
        }
    }

    // MARK: Handshake

    private func driveHandshake() {
        guard let tls else { return }
        switch tls.handshake() {
        case .complete:
            state = .active
            updateInterest()
            delegate?.channelActive(self)
            // TLS may already hold application bytes that arrived with the handshake.
            if state == .active { readAvailable() }
        case .wantRead:
            updateInterest()
        case .wantWrite:
            updateInterest(forceWritable: true)
        case .failed(let message):
            close(error: "TLS handshake failed: \(message)")
        }
    }

    private func updateInterest(forceWritable: Bool = false) {
        guard state != .closed else { return }
        var events: UInt32 = 0
        if !readingPaused || state != .active { events |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if forceWritable || state == .connecting || pendingOutputBytes > 0 { events |= EPOLLOUT.rawValue }
        if events != registeredEvents {
            registeredEvents = events
            loop.modify(fd, events: events)
        }
    }
}
