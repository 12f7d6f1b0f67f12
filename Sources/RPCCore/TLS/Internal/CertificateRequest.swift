import COpenSSL

/// An owned OpenSSL `X509_REQ*`, a PKCS#10 certificate signing request (RFC 2986), freed with the object.
final class CertificateRequest {
    let pointer: OpaquePointer

    /// Takes ownership of a request.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Parses the first `CERTIFICATE REQUEST` in PEM text; checks its form, not its signature.
    convenience init(pem: String) throws(TLSError) {
        OpenSSLErrors.clear()
        let request = PEMBuffer.withBIO(reading: pem) { PEM_read_bio_X509_REQ($0, nil, nil, nil) }
        guard let request else {
            throw .invalidCertificateRequest("no PEM certificate request: " + OpenSSLErrors.drain(or: "unreadable"))
        }
        self.init(taking: request)
        // RFC 2986 §4.1 defines only version 1, encoded as 0.
        guard X509_REQ_get_version(pointer) == X509_REQ_VERSION_1 else {
            throw .invalidCertificateRequest("unknown request version \(X509_REQ_get_version(pointer))")
        }
    }

    /// A request for `key`, with `commonName` as its subject, signed with `key` using SHA-256.
    convenience init(commonName: String, key: PrivateKey) throws(TLSError) {
        guard !commonName.isEmpty else { throw .certificateGenerationFailed("the common name is empty") }
        OpenSSLErrors.clear()
        guard let request = X509_REQ_new() else { throw .certificateGenerationFailed("X509_REQ_new failed") }
        self.init(taking: request)
        guard X509_REQ_set_version(request, Int(X509_REQ_VERSION_1)) == 1,
              let name = X509_REQ_get_subject_name(request),
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1,
              X509_REQ_set_pubkey(request, key.pointer) == 1,
              X509_REQ_sign(request, key.pointer, EVP_sha256()) > 0
        else { throw .certificateGenerationFailed("certificate request: " + OpenSSLErrors.drain(or: "failed")) }
    }

    deinit { X509_REQ_free(pointer) }

    /// The PEM text of the request.
    func pem() throws(TLSError) -> String {
        try PEMBuffer.write { PEM_write_bio_X509_REQ($0, pointer) == 1 }
    }

    /// The public key the request asks to have certified.
    func publicKey() throws(TLSError) -> PublicKey {
        OpenSSLErrors.clear()
        guard let key = X509_REQ_get_pubkey(pointer) else {
            throw .invalidCertificateRequest("unreadable public key: " + OpenSSLErrors.drain(or: "unsupported"))
        }
        return PublicKey(taking: key)
    }

    /// Checks the request is signed by the private half of its own public key: the requester's
    /// proof that it holds the key (RFC 2986 §3).
    func verifySignature(with key: PublicKey) throws(TLSError) {
        OpenSSLErrors.clear()
        guard X509_REQ_verify(pointer, key.pointer) == 1 else {
            throw .invalidCertificateRequest("the request's signature does not verify with its own public key: "
                                             + OpenSSLErrors.drain(or: "bad signature"))
        }
    }
}
