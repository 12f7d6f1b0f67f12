import Glibc
import RPCCore

/// One blocking TCP connection, optionally TLS, used by a single pool thread for one exchange.
/// The socket is non-blocking underneath: every wait is a `poll` bounded by the read timeout
/// and the exchange's deadline, so a silent server costs a timeout, never a hung thread.
final class HTTPConnection: HTTPByteSource {
    private let fd: Int32
    private let tls: TLSConnection?
    private let peer: String
    private let readTimeoutMilliseconds: Int
    /// The whole exchange's deadline (`requestTimeoutMilliseconds`).
    private let exchangeDeadline: HTTPDeadline

    private init(fd: Int32, tls: TLSConnection?, peer: String, readTimeoutMilliseconds: Int, exchangeDeadline: HTTPDeadline) {
        self.fd = fd
        self.tls = tls
        self.peer = peer
        self.readTimeoutMilliseconds = readTimeoutMilliseconds
        self.exchangeDeadline = exchangeDeadline
    }

    deinit {
        tls?.shutdown()
        Glibc.close(fd)
    }

    /// Connects to `url`'s host (each resolved address in turn) and, for https, completes a TLS
    /// handshake verifying the certificate against `tlsContext`'s roots and the host name.
    static func open(_ url: HTTPURL, tlsContext: TLSContext, configuration: HTTPClientConfiguration,
                     exchangeDeadline: HTTPDeadline) throws(HTTPClientError) -> HTTPConnection {
        let peer = url.address.description
        let deadline = HTTPDeadline(afterMilliseconds: configuration.connectTimeoutMilliseconds,
                                    explanation: "connecting to \(peer) took over \(configuration.connectTimeoutMilliseconds) ms")
            .earlier(exchangeDeadline)
        let addresses: [ResolvedAddress]
        do {
            // getaddrinfo blocks on DNS; this runs on a pool thread, so only that thread waits.
            addresses = try Socket.resolveAll(url.address)
        } catch {
            throw .connectionFailed("cannot resolve \(url.host): \(error)")
        }
        var lastFailure = HTTPClientError.connectionFailed("\(url.host) has no addresses")
        for address in addresses {
            let fd: Int32
            do {
                fd = try Socket.connect(to: address)
            } catch {
                lastFailure = .connectionFailed("\(peer): \(error)")
                continue
            }
            do throws(HTTPClientError) {
                guard try wait(fd, for: Int16(POLLOUT), until: deadline) else { throw deadline.timedOut }
                let failure = Socket.pendingError(fd)
                guard failure == 0 else {
                    throw .connectionFailed("connect to \(peer) (\(address.description)): \(String(cString: strerror(failure)))")
                }
                let tls = url.isSecure ? try handshake(fd, host: url.host, peer: peer, context: tlsContext, deadline: deadline) : nil
                return HTTPConnection(fd: fd, tls: tls, peer: peer, readTimeoutMilliseconds: configuration.readTimeoutMilliseconds,
                                      exchangeDeadline: exchangeDeadline)
            } catch {
                Glibc.close(fd)
                switch error {
                case .connectionFailed: lastFailure = error
                default: throw error
                }
            }
        }
        throw lastFailure
    }

    private static func handshake(_ fd: Int32, host: String, peer: String, context: TLSContext,
                                  deadline: HTTPDeadline) throws(HTTPClientError) -> TLSConnection {
        let tls: TLSConnection
        do {
            tls = try TLSConnection(context: context, fileDescriptor: fd, isServer: false, serverName: host)
        } catch {
            throw .tlsFailed("\(peer): \(error)")
        }
        while true {
            switch tls.handshake() {
            case .complete:
                return tls
            case .wantRead:
                guard try wait(fd, for: Int16(POLLIN), until: deadline) else { throw deadline.timedOut }
            case .wantWrite:
                guard try wait(fd, for: Int16(POLLOUT), until: deadline) else { throw deadline.timedOut }
            case .failed(let reason):
                throw .tlsFailed("handshake with \(peer) failed: \(reason)")
            }
        }
    }

    /// Sends every byte of `bytes`.
    func write(_ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let deadline = ioDeadline("sending the request to")
            let result: TLSIOResult = bytes.withUnsafeBytes { raw in
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                if let tls { return tls.write(rest) }
                let sent = send(fd, rest.baseAddress, rest.count, Int32(MSG_NOSIGNAL))
                if sent >= 0 { return .bytes(sent) }
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wantWrite }
                return .failed(String(cString: strerror(errno)))
            }
            switch result {
            case .bytes(let count): offset += count
            case .wantRead: guard try Self.wait(fd, for: Int16(POLLIN), until: deadline) else { throw deadline.timedOut }
            case .wantWrite: guard try Self.wait(fd, for: Int16(POLLOUT), until: deadline) else { throw deadline.timedOut }
            case .closed: throw .connectionFailed("\(peer) closed the connection while the request was sent")
            case .failed(let reason): throw .connectionFailed("sending to \(peer): \(reason)")
            }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int {
        while true {
            let deadline = ioDeadline("waiting for the response from")
            let result: TLSIOResult
            if let tls {
                result = tls.read(into: buffer)
            } else {
                let received = recv(fd, buffer.baseAddress, buffer.count, 0)
                if received >= 0 {
                    result = received == 0 ? .closed : .bytes(received)
                } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                    result = .wantRead
                } else {
                    result = .failed(String(cString: strerror(errno)))
                }
            }
            switch result {
            case .bytes(let count): return count
            case .closed: return 0
            case .wantRead: guard try Self.wait(fd, for: Int16(POLLIN), until: deadline) else { throw deadline.timedOut }
            case .wantWrite: guard try Self.wait(fd, for: Int16(POLLOUT), until: deadline) else { throw deadline.timedOut }
            case .failed(let reason): throw .connectionFailed("reading from \(peer): \(reason)")
            }
        }
    }

    /// The deadline of the next wait: the read timeout, cut short by the exchange's deadline.
    private func ioDeadline(_ activity: String) -> HTTPDeadline {
        HTTPDeadline(afterMilliseconds: readTimeoutMilliseconds,
                     explanation: "\(activity) \(peer): nothing for \(readTimeoutMilliseconds) ms")
            .earlier(exchangeDeadline)
    }

    /// Waits until `fd` is ready for `events` (or has an error or hang-up to report); false
    /// when `deadline` passes first.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: HTTPDeadline) throws(HTTPClientError) -> Bool {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let remaining = deadline.remainingMilliseconds
            if remaining == 0 { return false }
            let ready = poll(&descriptor, 1, remaining)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { throw .connectionFailed("poll: \(String(cString: strerror(errno)))") }
        }
    }
}
