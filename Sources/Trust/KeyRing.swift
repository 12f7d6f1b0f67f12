/// The unwrapped data keys, by id: fields are sealed under the active key and opened under any.
/// A data key is wrapped as: format version (1 byte), nonce (12), AES-256-GCM ciphertext of the
/// key (32), tag (16), under the master key, with the version and key id as associated data.
public struct KeyRing: Sendable {
    /// The format version of wrapped keys this code writes and reads.
    static let wrapFormatVersion: UInt8 = 1
    /// Length of a wrapped data key.
    static let wrappedKeyByteCount = 1 + OpenSSLCrypto.gcmNonceByteCount + OpenSSLCrypto.aesKeyByteCount
        + OpenSSLCrypto.gcmTagByteCount
    /// Separates the wrapping's associated data from any other use of the master key.
    private static let wrapLabel = Array("medexpress data key".utf8)

    /// The id of the key new seals use.
    public let activeKeyID: UInt32
    private let dataKeys: [UInt32: SecretBytes]

    /// Unwraps every stored data key under `master`; `activeKeyID` must be one of them.
    public init(master: MasterKey, wrappedKeys: [WrappedDataKey], activeKeyID: UInt32) throws(KeyRingError) {
        var dataKeys: [UInt32: SecretBytes] = [:]
        for stored in wrappedKeys {
            guard dataKeys[stored.id] == nil else { throw .duplicateKeyID(stored.id) }
            let wrapped = stored.wrapped
            guard wrapped.count == Self.wrappedKeyByteCount, wrapped[0] == Self.wrapFormatVersion else {
                throw .malformedWrappedKey(keyID: stored.id, byteCount: wrapped.count)
            }
            let nonceEnd = 1 + OpenSSLCrypto.gcmNonceByteCount
            let tagStart = wrapped.count - OpenSSLCrypto.gcmTagByteCount
            guard let key = OpenSSLCrypto.aesGCMOpen(
                key: master.secret.bytes, nonce: Array(wrapped[1 ..< nonceEnd]),
                ciphertext: Array(wrapped[nonceEnd ..< tagStart]), tag: Array(wrapped[tagStart...]),
                associatedData: Self.associatedData(keyID: stored.id))
            else { throw .masterKeyMismatch(keyID: stored.id) }
            dataKeys[stored.id] = SecretBytes(bytes: key)
        }
        guard dataKeys[activeKeyID] != nil else { throw .activeKeyMissing(activeKeyID) }
        self.activeKeyID = activeKeyID
        self.dataKeys = dataKeys
    }

    /// A new random data key with id `id`, wrapped under `master`, for the first key of a store
    /// or for rotation. The caller stores it, then builds a ring that includes it.
    public static func newDataKey(master: MasterKey, id: UInt32) -> WrappedDataKey {
        let nonce = SecureRandom.bytes(OpenSSLCrypto.gcmNonceByteCount)
        let sealed = OpenSSLCrypto.aesGCMSeal(key: master.secret.bytes, nonce: nonce,
                                              plaintext: SecureRandom.bytes(OpenSSLCrypto.aesKeyByteCount),
                                              associatedData: associatedData(keyID: id))
        return WrappedDataKey(id: id, wrapped: [wrapFormatVersion] + nonce + sealed.ciphertext + sealed.tag)
    }

    /// The key with id `id`, if the ring holds it.
    func dataKey(id: UInt32) -> [UInt8]? {
        dataKeys[id]?.bytes
    }

    /// Binds a wrapped key to its id and format: a wrapped key stored under another id fails to unwrap.
    private static func associatedData(keyID: UInt32) -> [UInt8] {
        wrapLabel + [wrapFormatVersion] + keyID.bigEndianBytes
    }
}
