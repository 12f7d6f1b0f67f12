import COpenSSL
import Glibc

/// One TLS session over a non-blocking socket: an OpenSSL `SSL` reading and writing the
/// descriptor itself. Confined to the event-loop thread that owns the socket (not Sendable).
///
/// The socket is written with `write(2)`, so the process must ignore `SIGPIPE`.
/// OpenSSL's error queue is per thread: each call clears it first and reports what it collected.
public final class TLSConnection {
    /// The shared context; retained because the handshake callbacks point into it.
    public let context: TLSContext
    /// Whether this side accepted the connection.
    public let isServer: Bool
    private let ssl: OpaquePointer
    /// After a fatal error OpenSSL forbids `SSL_shutdown`.
    private var hasFailed = false
    private var isHandshakeComplete = false
    private var cachedPeerCertificate: PeerCertificate??

    /// The ALPN protocol agreed in the handshake (`h2`), nil before completion or if none.
    public private(set) var negotiatedProtocol: String?
    /// The protocol version agreed, e.g. `TLSv1.3`; nil before the handshake completes.
    public private(set) var protocolVersion: String?

    /// A session over `fileDescriptor`, which stays owned (and closed) by the caller.
    /// A client verifies the server certificate against `serverName`, falling back to the
    /// context's `configuration.serverName`.
    public init(context: TLSContext, fileDescriptor: Int32, isServer: Bool, serverName: String?) throws(TLSError) {
        precondition(isServer == context.isServer, "a connection's role must match its context's")
        OpenSSLErrors.clear()
        guard let ssl = SSL_new(context.pointer) else {
            throw .openSSLFailure("SSL_new: " + OpenSSLErrors.drain(or: "failed"))
        }
        guard SSL_set_fd(ssl, fileDescriptor) == 1 else {
            SSL_free(ssl)
            throw .openSSLFailure("SSL_set_fd: " + OpenSSLErrors.drain(or: "failed"))
        }
        if isServer {
            SSL_set_accept_state(ssl)
        } else {
            SSL_set_connect_state(ssl)
            if let name = serverName ?? context.configuration.serverName {
                do {
                    try Self.expectServerName(name, ssl: ssl)
                } catch {
                    SSL_free(ssl)
                    throw error
                }
            }
        }
        self.context = context
        self.isServer = isServer
        self.ssl = ssl
    }

    deinit { SSL_free(ssl) }

    /// Sends SNI (for host names) and makes verification require the name in the certificate's SANs.
    private static func expectServerName(_ name: String, ssl: OpaquePointer) throws(TLSError) {
        guard let parameters = SSL_get0_param(ssl) else { throw .openSSLFailure("SSL_get0_param failed") }
        if IPAddressText.isAddress(name) {
            // RFC 6066 §3: SNI carries host names only, never address literals.
            guard X509_VERIFY_PARAM_set1_ip_asc(parameters, name) == 1 else {
                throw .invalidConfiguration("invalid server IP address \(name.debugDescription)")
            }
        } else {
            X509_VERIFY_PARAM_set_hostflags(parameters, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            guard !name.isEmpty, X509_VERIFY_PARAM_set1_host(parameters, name, 0) == 1,
                  medexpress_SSL_set_tlsext_host_name(ssl, name) == 1 else {
                throw .invalidConfiguration("invalid server name \(name.debugDescription)")
            }
        }
        OpenSSLErrors.clear()
    }

    /// Advances the handshake as far as the socket allows.
    public func handshake() -> TLSHandshakeResult {
        if isHandshakeComplete { return .complete }
        if hasFailed { return .failed("the handshake already failed") }
        OpenSSLErrors.clear()
        let result = SSL_do_handshake(ssl)
        guard result == 1 else {
            switch classify(result) {
            case .wantRead: return .wantRead
            case .wantWrite: return .wantWrite
            case .closed: return fail("the peer closed the connection during the handshake")
            case .failed(let message): return .failed(message)
            case .bytes: preconditionFailure("SSL_do_handshake returned no byte count")
            }
        }
        negotiatedProtocol = alpnSelection()
        protocolVersion = String(cString: SSL_get_version(ssl))
        if isServer, negotiatedProtocol == nil {
            // The handshake callbacks refuse this; the check guards against a callback slipping.
            return fail("no ALPN protocol was negotiated; h2 is required")
        }
        isHandshakeComplete = true
        return .complete
    }

    /// Reads decrypted application bytes into `buffer`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSIOResult {
        guard !buffer.isEmpty else { return .bytes(0) }
        if hasFailed { return .failed("the connection already failed") }
        OpenSSLErrors.clear()
        let result = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return result > 0 ? .bytes(Int(result)) : classify(result)
    }

    /// Encrypts and sends application bytes; may write fewer than given. After `.wantWrite`
    /// or `.wantRead`, retry with the same bytes (they may sit at a new address).
    public func write(_ bytes: UnsafeRawBufferPointer) -> TLSIOResult {
        guard !bytes.isEmpty else { return .bytes(0) }
        if hasFailed { return .failed("the connection already failed") }
        OpenSSLErrors.clear()
        let result = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        return result > 0 ? .bytes(Int(result)) : classify(result)
    }

    /// Whether OpenSSL holds decrypted or undecrypted bytes already read from the socket: the
    /// socket will not become readable for them, so read again before waiting.
    public var hasBufferedReadableBytes: Bool { SSL_has_pending(ssl) == 1 }

    /// The peer's verified leaf certificate: the server's on a client, the client's on a server
    /// that asked for one. Nil before the handshake completes or when the peer sent none.
    /// SANs read `DNS:name`, `IP:address` (IPv6 in RFC 5952 form), `URI:uri` or `email:address`;
    /// the serial number is lower-case hex.
    public var peerCertificate: PeerCertificate? {
        guard isHandshakeComplete else { return nil }
        if let cachedPeerCertificate { return cachedPeerCertificate }
        var certificate: PeerCertificate?
        if SSL_get_verify_result(ssl) == X509_V_OK, let x509 = SSL_get1_peer_certificate(ssl) {
            certificate = X509Certificate(taking: x509).peerCertificate
        }
        cachedPeerCertificate = .some(certificate)
        return certificate
    }

    /// Sends close_notify if the session is healthy; best effort, never blocks.
    public func shutdown() {
        guard isHandshakeComplete, !hasFailed else { return }
        OpenSSLErrors.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrors.clear()
    }

    private func alpnSelection() -> String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// Maps a non-positive SSL_* return to what the caller should do next.
    private func classify(_ result: Int32) -> TLSIOResult {
        let savedErrno = errno
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF).
            OpenSSLErrors.clear()
            return .closed
        case SSL_ERROR_SYSCALL:
            if let queued = OpenSSLErrors.drain() {
                return .failed(fail(queued))
            }
            if savedErrno == 0 { return .closed }
            return .failed(fail(String(cString: strerror(savedErrno))))
        default:
            var message = OpenSSLErrors.drain(or: "TLS error")
            let verifyResult = SSL_get_verify_result(ssl)
            if verifyResult != X509_V_OK, let reason = X509_verify_cert_error_string(Int(verifyResult)) {
                message += " (certificate: \(String(cString: reason)))"
            }
            return .failed(fail(message))
        }
    }

    private func fail(_ message: String) -> String {
        hasFailed = true
        return message
    }

    private func fail(_ message: String) -> TLSHandshakeResult {
        hasFailed = true
        return .failed(message)
    }
}
