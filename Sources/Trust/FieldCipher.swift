/// AES-256-GCM encryption of single database fields under the key ring's data keys.
/// Sealed format: version (1 byte), data key id (4, big-endian), random nonce (12), ciphertext,
/// tag (16). The associated data is the version, the key id and the field's context.
public struct FieldCipher: Sendable {
    /// The sealed format version this code writes and reads.
    static let formatVersion: UInt8 = 1
    /// Version and key id.
    static let headerByteCount = 1 + 4
    /// What sealing adds to the plaintext.
    static let overheadByteCount = headerByteCount + OpenSSLCrypto.gcmNonceByteCount + OpenSSLCrypto.gcmTagByteCount
    /// Largest plaintext sealed in one field (evidence photos included).
    public static let maxPlaintextBytes = 64 * 1024 * 1024

    /// The data keys: seals use the active one, opens any.
    public let keyRing: KeyRing

    /// A cipher over `keyRing`.
    public init(keyRing: KeyRing) {
        self.keyRing = keyRing
    }

    /// `plaintext` encrypted under the active data key with a fresh random nonce, bound to `context`.
    public func seal(_ plaintext: [UInt8], context: FieldContext) -> [UInt8] {
        precondition(plaintext.count <= Self.maxPlaintextBytes,
                     "a field of \(plaintext.count) bytes exceeds FieldCipher.maxPlaintextBytes")
        let keyID = keyRing.activeKeyID
        guard let key = keyRing.dataKey(id: keyID) else { preconditionFailure("a key ring holds its active key") }
        let header = [Self.formatVersion] + keyID.bigEndianBytes
        // A random 96-bit nonce per seal: NIST SP 800-38D §8.3 allows 2^32 seals per key this way;
        // rotation (`medexpress keys rotate`) starts a new key long before.
        let nonce = SecureRandom.bytes(OpenSSLCrypto.gcmNonceByteCount)
        let sealed = OpenSSLCrypto.aesGCMSeal(key: key, nonce: nonce, plaintext: plaintext,
                                              associatedData: header + context.encoded)
        return header + nonce + sealed.ciphertext + sealed.tag
    }

    /// The UTF-8 of `text` sealed, as `seal(_:context:)` does.
    public func seal(_ text: String, context: FieldContext) -> [UInt8] {
        seal(Array(text.utf8), context: context)
    }

    /// The plaintext of a value sealed for `context` under any key of the ring.
    public func open(_ sealed: [UInt8], context: FieldContext) throws(FieldCipherError) -> [UInt8] {
        guard sealed.count >= Self.overheadByteCount else { throw .truncated(byteCount: sealed.count) }
        guard sealed.count <= Self.maxPlaintextBytes + Self.overheadByteCount else {
            throw .tooLarge(byteCount: sealed.count)
        }
        guard sealed[0] == Self.formatVersion else { throw .unsupportedVersion(sealed[0]) }
        let keyID = Self.keyID(of: sealed)
        guard let key = keyRing.dataKey(id: keyID) else { throw .unknownDataKey(id: keyID) }
        let nonceEnd = Self.headerByteCount + OpenSSLCrypto.gcmNonceByteCount
        let tagStart = sealed.count - OpenSSLCrypto.gcmTagByteCount
        guard let plaintext = OpenSSLCrypto.aesGCMOpen(
            key: key, nonce: Array(sealed[Self.headerByteCount ..< nonceEnd]),
            ciphertext: Array(sealed[nonceEnd ..< tagStart]), tag: Array(sealed[tagStart...]),
            associatedData: Array(sealed[..<Self.headerByteCount]) + context.encoded)
        else { throw .authenticationFailed(context) }
        return plaintext
    }

    /// The text of a value sealed with `seal(_ text:context:)`.
    public func openString(_ sealed: [UInt8], context: FieldContext) throws(FieldCipherError) -> String {
        guard let text = String(validating: try open(sealed, context: context), as: UTF8.self) else {
            throw .notText(context)
        }
        return text
    }

    /// Whether `sealed` should be sealed again under the active key (rotation): true when it names
    /// another key, and when it is too short to name one, so the rotation job's `open` reports it.
    public func needsReencryption(_ sealed: [UInt8]) -> Bool {
        sealed.count < Self.overheadByteCount || Self.keyID(of: sealed) != keyRing.activeKeyID
    }

    private static func keyID(of sealed: [UInt8]) -> UInt32 {
        sealed[1 ..< headerByteCount].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
