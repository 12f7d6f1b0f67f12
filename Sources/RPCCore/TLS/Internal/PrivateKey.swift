import COpenSSL

/// An owned OpenSSL `EVP_PKEY*`, freed with the object.
final class PrivateKey {
    let pointer: OpaquePointer

    /// Takes ownership of a key.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// A new EC key on NIST P-256.
    static func generateP256() throws(TLSError) -> PrivateKey {
        OpenSSLErrors.clear()
        guard let key = medexpress_EVP_EC_gen("P-256") else {
            throw .certificateGenerationFailed("EC key generation: " + OpenSSLErrors.drain(or: "failed"))
        }
        return PrivateKey(taking: key)
    }

    /// Parses a PEM private key (PKCS#8 or traditional, unencrypted).
    convenience init(pem: String) throws(TLSError) {
        OpenSSLErrors.clear()
        let key = PEMBuffer.withBIO(reading: pem) { PEM_read_bio_PrivateKey($0, nil, nil, nil) }
        guard let key else {
            throw .invalidPEM("no private key: " + OpenSSLErrors.drain(or: "unreadable PEM"))
        }
        self.init(taking: key)
    }

    deinit { EVP_PKEY_free(pointer) }

    /// The same key, shared, for the places that only read its public half (certifying it).
    var publicKey: PublicKey {
        EVP_PKEY_up_ref(pointer)
        return PublicKey(taking: pointer)
    }

    /// The unencrypted PKCS#8 PEM text of the key.
    func pem() throws(TLSError) -> String {
        try PEMBuffer.write { PEM_write_bio_PrivateKey($0, pointer, nil, nil, 0, nil, nil) == 1 }
    }
}
