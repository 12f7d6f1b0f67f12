import COpenSSL

/// The one place that calls libcrypto: thin wrappers over the EVP primitives the trust foundation
/// is built on. A failure only a broken library or exhausted memory can cause stops the process
/// (nothing secret may be made half-way); a failure an input can cause is returned as nil.
enum OpenSSLCrypto {
    /// AES-256 key length.
    static let aesKeyByteCount = 32
    /// GCM nonce length: 96 bits, the length GCM is specified for (NIST SP 800-38D §5.2.1.1).
    static let gcmNonceByteCount = 12
    /// GCM tag length: the full 128 bits.
    static let gcmTagByteCount = 16
    /// EVP takes lengths as C `int`; callers keep inputs below this.
    static let maxInputBytes = Int(Int32.max)

    /// The hash functions HMAC is used with.
    enum HMACHash {
        /// RFC 6238's default for TOTP, and what authenticator apps implement.
        case sha1
        /// Everything else: blind indexes, HKDF, token hashes.
        case sha256

        fileprivate var md: OpaquePointer { self == .sha1 ? EVP_sha1() : EVP_sha256() }
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        // RAND_bytes fails only when the generator cannot be seeded: nothing secret may be made then.
        precondition(status == 1, "OpenSSL's random generator failed: \(drainErrors())")
        return bytes
    }

    /// SHA-256 of `bytes` (32 bytes).
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let status = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(status == 1, "SHA-256 failed: \(drainErrors())")
        return Array(digest.prefix(Int(length)))
    }

    /// HMAC of `data` under `key` (RFC 2104).
    static func hmac(_ hash: HMACHash, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { key in
            data.withUnsafeBufferPointer { data in
                HMAC(hash.md, key.baseAddress, Int32(key.count), data.baseAddress, data.count, &mac, &length)
            }
        }
        precondition(result != nil, "HMAC failed: \(drainErrors())")
        return Array(mac.prefix(Int(length)))
    }

    /// HKDF-SHA256 (RFC 5869): extract with `salt` (none when empty), expand with `info`.
    static func hkdfSHA256(key: [UInt8], salt: [UInt8], info: [UInt8], outputByteCount: Int) -> [UInt8] {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nil) else {
            preconditionFailure("HKDF context: \(drainErrors())")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: outputByteCount)
        var length = outputByteCount
        let status = EVP_PKEY_derive_init(context) == 1
            && EVP_PKEY_CTX_set_hkdf_md(context, EVP_sha256()) == 1
            && (salt.isEmpty || EVP_PKEY_CTX_set1_hkdf_salt(context, salt, Int32(salt.count)) == 1)
            && EVP_PKEY_CTX_set1_hkdf_key(context, key, Int32(key.count)) == 1
            && EVP_PKEY_CTX_add1_hkdf_info(context, info, Int32(info.count)) == 1
            && EVP_PKEY_derive(context, &output, &length) == 1
        precondition(status && length == outputByteCount, "HKDF-SHA256 failed: \(drainErrors())")
        return output
    }

    /// scrypt (RFC 7914) with cost N = 2^`log2Cost`; nil when OpenSSL refuses the parameters,
    /// e.g. because they need more than `maxMemoryBytes`.
    static func scrypt(password: [UInt8], salt: [UInt8], log2Cost: Int, blockSize: Int, parallelism: Int,
                       maxMemoryBytes: Int, outputByteCount: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: outputByteCount)
        let status = password.withUnsafeBufferPointer { password in
            password.withMemoryRebound(to: CChar.self) { password in
                salt.withUnsafeBufferPointer { salt in
                    EVP_PBE_scrypt(password.baseAddress, password.count, salt.baseAddress, salt.count,
                                   UInt64(1) << UInt64(log2Cost), UInt64(blockSize), UInt64(parallelism),
                                   UInt64(maxMemoryBytes), &output, output.count)
                }
            }
        }
        guard status == 1 else {
            ERR_clear_error()
            return nil
        }
        return output
    }

    /// AES-256-GCM encryption of `plaintext`, authenticating `associatedData` too.
    static func aesGCMSeal(key: [UInt8], nonce: [UInt8], plaintext: [UInt8],
                           associatedData: [UInt8]) -> (ciphertext: [UInt8], tag: [UInt8]) {
        precondition(key.count == aesKeyByteCount && nonce.count == gcmNonceByteCount)
        precondition(plaintext.count < maxInputBytes && associatedData.count < maxInputBytes)
        let context = CipherContext()
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: gcmTagByteCount)
        var length: Int32 = 0
        let status = context.initialise(encrypting: true, key: key, nonce: nonce)
            && (associatedData.isEmpty || EVP_EncryptUpdate(context.pointer, nil, &length, associatedData,
                                                            Int32(associatedData.count)) == 1)
            && (plaintext.isEmpty || EVP_EncryptUpdate(context.pointer, &ciphertext, &length, plaintext,
                                                       Int32(plaintext.count)) == 1)
            // GCM is a stream mode: Final writes no bytes, it computes the tag.
            && EVP_EncryptFinal_ex(context.pointer, &tag, &length) == 1
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(gcmTagByteCount), &tag) == 1
        precondition(status, "AES-256-GCM encryption failed: \(drainErrors())")
        return (ciphertext, tag)
    }

    /// AES-256-GCM decryption; nil when the tag does not authenticate the ciphertext and
    /// `associatedData` under `key`, and no plaintext leaves this function then.
    static func aesGCMOpen(key: [UInt8], nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8],
                           associatedData: [UInt8]) -> [UInt8]? {
        precondition(key.count == aesKeyByteCount && nonce.count == gcmNonceByteCount && tag.count == gcmTagByteCount)
        precondition(ciphertext.count < maxInputBytes && associatedData.count < maxInputBytes)
        let context = CipherContext()
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
        var expectedTag = tag
        var length: Int32 = 0
        let ready = context.initialise(encrypting: false, key: key, nonce: nonce)
            && (associatedData.isEmpty || EVP_DecryptUpdate(context.pointer, nil, &length, associatedData,
                                                            Int32(associatedData.count)) == 1)
            && (ciphertext.isEmpty || EVP_DecryptUpdate(context.pointer, &plaintext, &length, ciphertext,
                                                        Int32(ciphertext.count)) == 1)
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(gcmTagByteCount), &expectedTag) == 1
        precondition(ready, "AES-256-GCM decryption failed: \(drainErrors())")
        var finalLength: Int32 = 0
        guard EVP_DecryptFinal_ex(context.pointer, &expectedTag, &finalLength) == 1 else {
            ERR_clear_error()
            return nil
        }
        return plaintext
    }

    /// Whether `a` and `b` are equal, in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { a in b.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0 } }
    }

    /// The thread's queued OpenSSL errors as one line, for a failure message.
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

/// An `EVP_CIPHER_CTX` for one AES-256-GCM operation, freed with the object.
private final class CipherContext {
    let pointer: OpaquePointer

    init() {
        guard let pointer = EVP_CIPHER_CTX_new() else { preconditionFailure("EVP_CIPHER_CTX_new failed") }
        self.pointer = pointer
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }

    /// Selects AES-256-GCM with a 96-bit nonce, then sets the key and nonce.
    func initialise(encrypting: Bool, key: [UInt8], nonce: [UInt8]) -> Bool {
        EVP_CipherInit_ex(pointer, EVP_aes_256_gcm(), nil, nil, nil, encrypting ? 1 : 0) == 1
            && EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(OpenSSLCrypto.gcmNonceByteCount), nil) == 1
            && EVP_CipherInit_ex(pointer, nil, nil, key, nonce, -1) == 1
    }
}
