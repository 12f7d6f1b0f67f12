/// A keyed hash of a value for equality lookups on an encrypted column (e.g. the customer's
/// email): HMAC-SHA256 under a key derived from the master key, so the index reveals nothing
/// to anyone without that key, and equal inputs give equal indexes.
public struct BlindIndex: Sendable {
    /// HKDF-SHA256 `info` that derives the index key from the master key (RFC 5869 §3.2).
    static let derivationInfo = Array("medexpress blind index v1".utf8)

    private let key: SecretBytes

    /// The index keyed from `master`. Rotating the master key changes every index.
    public init(master: MasterKey) {
        key = SecretBytes(bytes: OpenSSLCrypto.hkdfSHA256(key: master.secret.bytes, salt: [], info: Self.derivationInfo,
                                                          outputByteCount: Digest.sha256ByteCount))
    }

    /// The 32-byte index of `value`'s UTF-8; normalise first (`normalisedEmail(_:)`).
    public func index(_ value: String) -> [UInt8] {
        Digest.hmacSHA256(key: key.bytes, data: Array(value.utf8))
    }

    /// An email as it is indexed and compared: surrounding white space removed, lower-cased.
    public static func normalisedEmail(_ email: String) -> String {
        email.trimmingWhiteSpace().lowercased()
    }
}
