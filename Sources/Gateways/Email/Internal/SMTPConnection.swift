import Domain
import Glibc
import RPCCore

/// One connection to an SMTP server, used by a single pool thread for one delivery: a
/// non-blocking socket, TLS from the start or after STARTTLS, and CRLF lines in and out.
/// Every wait is a `poll` bounded by the command timeout and the session's deadline. Every
/// failure is `.unavailable`: the network and the server may recover.
final class SMTPConnection {
    private let fd: Int32
    private var tls: TLSConnection?
    /// "smtp.example.com:587", for messages.
    let peer: String
    private let configuration: SMTPConfiguration
    private let sessionDeadline: HTTPDeadline
    /// Bytes read and not yet consumed as reply lines.
    private var received: [UInt8] = []
    /// How much a single read asks for.
    private static let readChunkBytes = 4096

    /// Whether the session is encrypted (implicit TLS, or after STARTTLS).
    var isSecure: Bool { tls != nil }

    private init(fd: Int32, peer: String, configuration: SMTPConfiguration, sessionDeadline: HTTPDeadline) {
        self.fd = fd
        self.peer = peer
        self.configuration = configuration
        self.sessionDeadline = sessionDeadline
    }

    deinit {
        tls?.shutdown()
        Glibc.close(fd)
    }

    /// Connects to the configured server (each resolved address in turn) and, for implicit TLS,
    /// completes the handshake.
    static func open(_ configuration: SMTPConfiguration, tlsContext: TLSContext,
                     sessionDeadline: HTTPDeadline) throws(EmailError) -> SMTPConnection {
        let address = SocketAddress(host: configuration.host, port: configuration.port)
        let peer = address.description
        let deadline = HTTPDeadline(afterMilliseconds: configuration.connectTimeoutMilliseconds,
                                    explanation: "connecting to \(peer) took over \(configuration.connectTimeoutMilliseconds) ms")
            .earlier(sessionDeadline)
        let addresses: [ResolvedAddress]
        do {
            // getaddrinfo blocks on DNS; this runs on a pool thread, so only that thread waits.
            addresses = try Socket.resolveAll(address)
        } catch {
            throw .unavailable("cannot resolve the SMTP server \(configuration.host): \(error)")
        }
        var lastFailure = EmailError.unavailable("the SMTP server \(configuration.host) has no addresses")
        for resolved in addresses {
            let fd: Int32
            do {
                fd = try Socket.connect(to: resolved)
            } catch {
                lastFailure = .unavailable("cannot connect to the SMTP server \(peer): \(error)")
                continue
            }
            let connection = SMTPConnection(fd: fd, peer: peer, configuration: configuration, sessionDeadline: sessionDeadline)
            do throws(EmailError) {
                try connection.wait(for: Int16(POLLOUT), until: deadline)
                let failure = Socket.pendingError(fd)
                guard failure == 0 else {
                    throw .unavailable("cannot connect to the SMTP server \(peer) (\(resolved.description)): "
                                       + String(cString: strerror(failure)))
                }
            } catch {
                lastFailure = error
                continue
            }
            if configuration.security == .implicitTLS {
                try connection.startTLS(context: tlsContext, deadline: deadline)
            }
            return connection
        }
        throw lastFailure
    }

    /// Switches the connection to TLS (implicit TLS, or after the server's 220 to STARTTLS),
    /// verifying the certificate against the trust roots and the server name.
    func startTLS(context: TLSContext) throws(EmailError) {
        try startTLS(context: context, deadline: commandDeadline("the TLS handshake with"))
    }

    private func startTLS(context: TLSContext, deadline: HTTPDeadline) throws(EmailError) {
        // RFC 3207 §4.2 (and CVE-2011-0411): anything the server sent after its 220 arrived in
        // the clear and must not be read as if it came over TLS.
        guard received.isEmpty else {
            throw .unavailable("\(peer) sent data after agreeing to STARTTLS; refusing to continue")
        }
        let serverName = configuration.tlsServerName ?? configuration.host
        let session: TLSConnection
        do {
            session = try TLSConnection(context: context, fileDescriptor: fd, isServer: false, serverName: serverName)
        } catch {
            throw .unavailable("TLS with the SMTP server \(peer): \(error)")
        }
        while true {
            switch session.handshake() {
            case .complete:
                tls = session
                return
            case .wantRead:
                try wait(for: Int16(POLLIN), until: deadline)
            case .wantWrite:
                try wait(for: Int16(POLLOUT), until: deadline)
            case .failed(let reason):
                throw .unavailable("the TLS handshake with the SMTP server \(peer) failed, so nothing was sent "
                                   + "(is its certificate issued for \(serverName) by a CA in the trust roots?): \(reason)")
            }
        }
    }

    /// Sends a command line; CRLF is added.
    func send(command: String) throws(EmailError) {
        try send(Array(command.utf8) + [0x0D, 0x0A])
    }

    /// Sends every byte of `bytes`.
    func send(_ bytes: [UInt8]) throws(EmailError) {
        var offset = 0
        while offset < bytes.count {
            let deadline = commandDeadline("sending to")
            let result: TLSIOResult = bytes.withUnsafeBytes { raw in
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                if let tls { return tls.write(rest) }
                let sent = Glibc.send(fd, rest.baseAddress, rest.count, Int32(MSG_NOSIGNAL))
                if sent >= 0 { return .bytes(sent) }
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wantWrite }
                return .failed(String(cString: strerror(errno)))
            }
            switch result {
            case .bytes(let count): offset += count
            case .wantRead: try wait(for: Int16(POLLIN), until: deadline)
            case .wantWrite: try wait(for: Int16(POLLOUT), until: deadline)
            case .closed: throw .unavailable("the SMTP server \(peer) closed the connection")
            case .failed(let reason): throw .unavailable("sending to the SMTP server \(peer): \(reason)")
            }
        }
    }

    /// Reads one complete reply, every line of a multi-line one (RFC 5321 §4.2.1): each line
    /// "ddd-text" but the last, "ddd text" or "ddd", all with the same code.
    func readReply() throws(EmailError) -> SMTPReply {
        var code: Int?
        var lines: [String] = []
        while true {
            guard lines.count < configuration.maxReplyLines else {
                throw .unavailable("the SMTP server \(peer) sent a reply of more than \(configuration.maxReplyLines) lines")
            }
            let line = try readLine()
            let digits = line.prefix(3)
            guard line.count >= 3, digits.allSatisfy({ (0x30...0x39).contains($0) }),
                  (0x32...0x35).contains(line[0]),
                  line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-") else {
                throw .unavailable("the SMTP server \(peer) sent a malformed reply line: "
                                   + String(decoding: line.prefix(80), as: UTF8.self).debugDescription)
            }
            let lineCode = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            if let code, code != lineCode {
                throw .unavailable("the SMTP server \(peer) changed the reply code within one reply (\(code), then \(lineCode))")
            }
            code = lineCode
            lines.append(line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : "")
            if line.count == 3 || line[3] == UInt8(ascii: " ") { return SMTPReply(code: lineCode, lines: lines) }
        }
    }

    /// The next line without its line break (CRLF, or a bare LF from a sloppy server).
    private func readLine() throws(EmailError) -> [UInt8] {
        var searchFrom = 0
        while true {
            if let newline = received[searchFrom...].firstIndex(of: 0x0A) {
                var line = Array(received[..<newline])
                received.removeFirst(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                return line
            }
            guard received.count < configuration.maxReplyLineBytes else {
                throw .unavailable("the SMTP server \(peer) sent a reply line longer than \(configuration.maxReplyLineBytes) bytes")
            }
            searchFrom = received.count
            try fill()
        }
    }

    /// Appends at least one byte from the socket to `received`.
    private func fill() throws(EmailError) {
        var chunk = [UInt8](repeating: 0, count: Self.readChunkBytes)
        while true {
            let deadline = commandDeadline("waiting for a reply from")
            let result: TLSIOResult = chunk.withUnsafeMutableBytes { buffer in
                if let tls { return tls.read(into: buffer) }
                let count = recv(fd, buffer.baseAddress, buffer.count, 0)
                if count > 0 { return .bytes(count) }
                if count == 0 { return .closed }
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wantRead }
                return .failed(String(cString: strerror(errno)))
            }
            switch result {
            case .bytes(let count):
                received += chunk[..<count]
                return
            case .wantRead: try wait(for: Int16(POLLIN), until: deadline)
            case .wantWrite: try wait(for: Int16(POLLOUT), until: deadline)
            case .closed: throw .unavailable("the SMTP server \(peer) closed the connection before replying")
            case .failed(let reason): throw .unavailable("reading from the SMTP server \(peer): \(reason)")
            }
        }
    }

    /// The deadline of the next wait: the command timeout, cut short by the session's deadline.
    private func commandDeadline(_ activity: String) -> HTTPDeadline {
        HTTPDeadline(afterMilliseconds: configuration.commandTimeoutMilliseconds,
                     explanation: "\(activity) the SMTP server \(peer): nothing for \(configuration.commandTimeoutMilliseconds) ms")
            .earlier(sessionDeadline)
    }

    /// Waits until the socket is ready for `events` (or has an error or hang-up to report).
    private func wait(for events: Int16, until deadline: HTTPDeadline) throws(EmailError) {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let remaining = deadline.remainingMilliseconds
            if remaining == 0 { throw .unavailable("timed out: \(deadline.explanation)") }
            let ready = poll(&descriptor, 1, remaining)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .unavailable("poll: \(String(cString: strerror(errno)))") }
        }
    }
}
