import COpenSSL

/// An OpenSSL `EVP_PKEY` of type Ed25519, freed with the object: the one place Ed25519 calls
/// libcrypto. A failure an input can cause (a key OpenSSL refuses) is thrown with OpenSSL's
/// message; one only a broken library or exhausted memory can cause stops the process.
final class Ed25519EVPKey {
    /// Raw private (seed) and public keys are 32 bytes (RFC 8032 §5.1.5).
    static let keyByteCount = 32
    /// Signatures are 64 bytes: R then S (RFC 8032 §5.1.6).
    static let signatureByteCount = 64

    private let pointer: OpaquePointer

    /// The key whose 32-byte private seed is `seed`.
    init(seed: [UInt8]) throws(Ed25519KeyError) {
        guard seed.count == Self.keyByteCount else { throw .wrongLength(byteCount: seed.count) }
        guard let pointer = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, seed, seed.count) else {
            throw .rejected(reason: Self.drainErrors())
        }
        self.pointer = pointer
    }

    /// The public key whose 32-byte encoding (RFC 8032 §5.1.2) is `publicKey`.
    init(publicKey: [UInt8]) throws(Ed25519KeyError) {
        guard publicKey.count == Self.keyByteCount else { throw .wrongLength(byteCount: publicKey.count) }
        guard let pointer = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, publicKey, publicKey.count) else {
            throw .rejected(reason: Self.drainErrors())
        }
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    /// The 32-byte public key.
    var rawPublicKey: [UInt8] {
        var key = [UInt8](repeating: 0, count: Self.keyByteCount)
        var length = key.count
        let status = EVP_PKEY_get_raw_public_key(pointer, &key, &length)
        precondition(status == 1 && length == Self.keyByteCount, "Ed25519 public key export failed: \(Self.drainErrors())")
        return key
    }

    /// The SubjectPublicKeyInfo (RFC 8410 §4) as PEM, as `openssl pkey -pubout` writes it.
    var publicKeyPEM: String {
        guard let bio = BIO_new(BIO_s_mem()) else { preconditionFailure("BIO_new failed: \(Self.drainErrors())") }
        defer { BIO_free(bio) }
        precondition(PEM_write_bio_PUBKEY(bio, pointer) == 1, "PEM_write_bio_PUBKEY failed: \(Self.drainErrors())")
        var data: UnsafeMutablePointer<CChar>?
        let length = medexpress_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { preconditionFailure("an empty PEM public key") }
        return data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self)
        }
    }

    /// The 64-byte signature of `message`. Ed25519 is one-shot (PureEdDSA hashes the message
    /// twice), so EVP_DigestSign takes it whole, with no digest named (RFC 8032 §5.1.6).
    func sign(_ message: [UInt8]) -> [UInt8] {
        let context = DigestContext()
        var signature = [UInt8](repeating: 0, count: Self.signatureByteCount)
        var length = signature.count
        let status = EVP_DigestSignInit(context.pointer, nil, nil, nil, pointer) == 1
            && EVP_DigestSign(context.pointer, &signature, &length, message, message.count) == 1
        precondition(status && length == Self.signatureByteCount, "Ed25519 signing failed: \(Self.drainErrors())")
        return signature
    }

    /// Whether `signature` is this public key's signature of `message` (RFC 8032 §5.1.7).
    func verify(_ signature: [UInt8], message: [UInt8]) -> Bool {
        guard signature.count == Self.signatureByteCount else { return false }
        let context = DigestContext()
        let valid = EVP_DigestVerifyInit(context.pointer, nil, nil, nil, pointer) == 1
            && EVP_DigestVerify(context.pointer, signature, signature.count, message, message.count) == 1
        // A bad signature queues an error; it must not show up in the next caller's message.
        ERR_clear_error()
        return valid
    }

    /// The thread's queued OpenSSL errors as one line, for an error's message.
    private static func drainErrors() -> String {
        var messages: [String] = []
        var code = ERR_get_error()
        while code != 0 {
            messages.append(ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)")
            code = ERR_get_error()
        }
        return messages.isEmpty ? "no OpenSSL error queued" : messages.joined(separator: "; ")
    }
}

/// An `EVP_MD_CTX` for one signing or verification, freed with the object.
private final class DigestContext {
    let pointer: OpaquePointer

    init() {
        guard let pointer = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        self.pointer = pointer
    }

    deinit { EVP_MD_CTX_free(pointer) }
}
