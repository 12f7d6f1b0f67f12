import COpenSSL
import Glibc

/// Shared TLS settings for many connections: an OpenSSL `SSL_CTX` holding our certificate, the
/// trust roots, protocol versions and ALPN. Immutable once made, so any thread may use it.
public final class TLSContext: @unchecked Sendable {
    /// The configuration the context was made from.
    public let configuration: TLSConfiguration
    /// Whether connections made from this context accept (server) rather than connect.
    public let isServer: Bool
    /// The OpenSSL context, freed with this object. Connections keep their context alive.
    let pointer: OpaquePointer
    /// `applicationProtocols` in ALPN wire format: each name prefixed by its length.
    let applicationProtocolsWire: [UInt8]

    /// Every TLS option we set: no TLS compression (CRIME), no renegotiation (RFC 7540 §9.2.1
    /// forbids it under HTTP/2), and a TCP close without close_notify reads as a plain close
    /// (HTTP/2 frames its own ends, so truncation cannot go unnoticed).
    private static var commonOptions: UInt64 {
        medexpress_SSL_OP_NO_COMPRESSION() | medexpress_SSL_OP_NO_RENEGOTIATION() | medexpress_SSL_OP_IGNORE_UNEXPECTED_EOF()
    }
    /// Identifies our sessions in the server's cache; required once client certificates are verified.
    private static let sessionIDContext: [UInt8] = Array("medexpress-rpc".utf8)

    /// A context for the server or client side; files are read now, so errors show at startup.
    public init(configuration: TLSConfiguration, isServer: Bool) throws(TLSError) {
        let wire = try Self.validate(configuration, isServer: isServer)
        OpenSSLErrors.clear()
        guard let context = SSL_CTX_new(isServer ? TLS_server_method() : TLS_client_method()) else {
            throw .openSSLFailure("SSL_CTX_new: " + OpenSSLErrors.drain(or: "failed"))
        }
        do {
            try Self.configure(context, configuration, isServer: isServer)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.configuration = configuration
        self.isServer = isServer
        self.pointer = context
        self.applicationProtocolsWire = wire

        if isServer {
            // The callbacks find this object through their arg; connections retain the context,
            // so it outlives every handshake.
            let this = Unmanaged.passUnretained(self).toOpaque()
            SSL_CTX_set_client_hello_cb(context, tlsClientHelloCallback, this)
            SSL_CTX_set_alpn_select_cb(context, tlsALPNSelectCallback, this)
        } else if !wire.isEmpty {
            // Unlike most OpenSSL calls, 0 means success here.
            let failed = wire.withUnsafeBufferPointer { SSL_CTX_set_alpn_protos(context, $0.baseAddress, UInt32($0.count)) }
            precondition(failed == 0, "SSL_CTX_set_alpn_protos rejected a validated list")
        }
    }

    deinit { SSL_CTX_free(pointer) }

    /// Checks the configuration fits the role; returns the ALPN list in wire format.
    private static func validate(_ configuration: TLSConfiguration, isServer: Bool) throws(TLSError) -> [UInt8] {
        switch (configuration.certificateChainFile, configuration.privateKeyFile) {
        case (nil, nil) where isServer:
            throw .invalidConfiguration("a server needs a certificate chain file and a private key file")
        case (.some, nil), (nil, .some):
            throw .invalidConfiguration("a certificate chain file and a private key file go together")
        default: break
        }
        if isServer, configuration.clientCertificateMode != .none, configuration.trustRootsFile == nil {
            throw .invalidConfiguration("verifying client certificates needs a trust roots file")
        }
        if let maximum = configuration.maximumVersion, maximum < configuration.minimumVersion {
            throw .invalidConfiguration("maximum version \(maximum) is below minimum version \(configuration.minimumVersion)")
        }
        // An empty list makes a client offer no ALPN at all (to test refusals); a server needs one.
        if isServer, configuration.applicationProtocols.isEmpty {
            throw .invalidConfiguration("a server needs at least one ALPN protocol")
        }
        var wire: [UInt8] = []
        for name in configuration.applicationProtocols {
            guard (1 ... 255).contains(name.utf8.count) else {
                throw .invalidConfiguration("ALPN protocol names are 1 to 255 bytes: \(name.debugDescription)")
            }
            wire.append(UInt8(name.utf8.count))
            wire.append(contentsOf: name.utf8)
        }
        return wire
    }

    private static func configure(_ context: OpaquePointer, _ configuration: TLSConfiguration,
                                  isServer: Bool) throws(TLSError) {
        guard medexpress_SSL_CTX_set_min_proto_version(context, configuration.minimumVersion.openSSLValue) == 1,
              medexpress_SSL_CTX_set_max_proto_version(context, configuration.maximumVersion?.openSSLValue ?? 0) == 1
        else { throw .openSSLFailure("setting protocol versions: " + OpenSSLErrors.drain(or: "failed")) }

        var options = commonOptions
        if isServer { options |= medexpress_SSL_OP_CIPHER_SERVER_PREFERENCE() }
        _ = medexpress_SSL_CTX_set_options(context, Int(bitPattern: UInt(options)))
        // Non-blocking writes: accept partial progress, and let a retry pass the same bytes
        // from a buffer that may have moved.
        // RELEASE_BUFFERS: an idle connection gives its 16 KiB read and write buffers back (1,000 idle
        // TLS connections must fit in tens of MiB).
        _ = medexpress_SSL_CTX_set_mode(context, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS))

        if let chainFile = configuration.certificateChainFile, let keyFile = configuration.privateKeyFile {
            try checkReadable(chainFile)
            try checkReadable(keyFile)
            guard SSL_CTX_use_certificate_chain_file(context, chainFile) == 1 else {
                throw .invalidCertificate(path: chainFile, reason: OpenSSLErrors.drain(or: "unreadable"))
            }
            guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
                // OpenSSL checks the key against the certificate while loading it.
                let code = ERR_peek_last_error()
                if ERR_GET_LIB(code) == ERR_LIB_X509,
                   [X509_R_KEY_VALUES_MISMATCH, X509_R_KEY_TYPE_MISMATCH].contains(ERR_GET_REASON(code)) {
                    OpenSSLErrors.clear()
                    throw .privateKeyMismatch(certificatePath: chainFile, privateKeyPath: keyFile)
                }
                throw .invalidPrivateKey(path: keyFile, reason: OpenSSLErrors.drain(or: "unreadable"))
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                OpenSSLErrors.clear()
                throw .privateKeyMismatch(certificatePath: chainFile, privateKeyPath: keyFile)
            }
        }

        if let rootsFile = configuration.trustRootsFile {
            try checkReadable(rootsFile)
            guard SSL_CTX_load_verify_locations(context, rootsFile, nil) == 1 else {
                throw .invalidTrustRoots(path: rootsFile, reason: OpenSSLErrors.drain(or: "unreadable"))
            }
        } else if !isServer {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw .openSSLFailure("loading the system trust roots: " + OpenSSLErrors.drain(or: "failed"))
            }
        }

        if isServer {
            let sessionIDSet = sessionIDContext.withUnsafeBufferPointer {
                SSL_CTX_set_session_id_context(context, $0.baseAddress, UInt32($0.count))
            }
            guard sessionIDSet == 1 else { throw .openSSLFailure("SSL_CTX_set_session_id_context failed") }
            switch configuration.clientCertificateMode {
            case .none:
                SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
            case .optional, .required:
                // Tell clients which CAs we accept, so they pick the right certificate.
                if let rootsFile = configuration.trustRootsFile, let names = SSL_load_client_CA_file(rootsFile) {
                    SSL_CTX_set_client_CA_list(context, names)
                }
                let failIfNone = configuration.clientCertificateMode == .required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0
                SSL_CTX_set_verify(context, SSL_VERIFY_PEER | failIfNone, nil)
            }
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        }
        OpenSSLErrors.clear()
    }

    private static func checkReadable(_ path: String) throws(TLSError) {
        guard access(path, R_OK) == 0 else {
            throw .fileNotReadable(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

/// Server side: fails the handshake with `no_application_protocol` when the ClientHello carries
/// no ALPN extension at all (the ALPN select callback only runs when it does). gRPC requires h2.
private func tlsClientHelloCallback(_ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?,
                                    _ arg: UnsafeMutableRawPointer?) -> Int32 {
    var extensionData: UnsafePointer<UInt8>?
    var extensionLength = 0
    if SSL_client_hello_get0_ext(ssl, UInt32(TLSEXT_TYPE_application_layer_protocol_negotiation),
                                 &extensionData, &extensionLength) == 1 {
        return SSL_CLIENT_HELLO_SUCCESS
    }
    medexpress_ERR_raise_ssl(SSL_R_NO_APPLICATION_PROTOCOL, "the client offered no ALPN protocol; h2 is required")
    alert?.pointee = SSL_AD_NO_APPLICATION_PROTOCOL
    return SSL_CLIENT_HELLO_ERROR
}

/// Server side: picks the first of our protocols the client offers; with no overlap the
/// handshake fails with `no_application_protocol` (RFC 7301 §3.2).
private func tlsALPNSelectCallback(_ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
                                   _ outLength: UnsafeMutablePointer<UInt8>?, _ offered: UnsafePointer<UInt8>?,
                                   _ offeredLength: UInt32, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let arg, let offered, let out, let outLength else { return SSL_TLSEXT_ERR_ALERT_FATAL }
    let context = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
    let client = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
    return context.applicationProtocolsWire.withUnsafeBufferPointer { ours -> Int32 in
        var oursIndex = 0
        while oursIndex < ours.count {
            let length = Int(ours[oursIndex])
            let name = UnsafeBufferPointer(rebasing: ours[oursIndex + 1 ..< oursIndex + 1 + length])
            var clientIndex = 0
            while clientIndex < client.count {
                let offeredNameLength = Int(client[clientIndex])
                guard offeredNameLength > 0, clientIndex + 1 + offeredNameLength <= client.count else {
                    return SSL_TLSEXT_ERR_ALERT_FATAL  // malformed list
                }
                let offeredName = client[clientIndex + 1 ..< clientIndex + 1 + offeredNameLength]
                if offeredName.elementsEqual(name) {
                    // The selection must point into memory that outlives the callback: the ClientHello.
                    out.pointee = offered + clientIndex + 1
                    outLength.pointee = UInt8(offeredNameLength)
                    return SSL_TLSEXT_ERR_OK
                }
                clientIndex += 1 + offeredNameLength
            }
            oursIndex += 1 + length
        }
        medexpress_ERR_raise_ssl(SSL_R_NO_APPLICATION_PROTOCOL, "the client did not offer h2")
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
}
