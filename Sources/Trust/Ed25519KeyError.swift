/// Why bytes could not be taken as an Ed25519 key.
public enum Ed25519KeyError: Error, Hashable, CustomStringConvertible {
    /// A raw Ed25519 key, private or public, is 32 bytes; this was `byteCount`.
    case wrongLength(byteCount: Int)
    /// OpenSSL refused the key; `reason` is its message.
    case rejected(reason: String)

    /// What failed, and what to check.
    public var description: String {
        switch self {
        case .wrongLength(let byteCount):
            "an Ed25519 key is \(Ed25519EVPKey.keyByteCount) bytes (RFC 8032 §5.1.5), not \(byteCount)"
        case .rejected(let reason):
            "OpenSSL refused the Ed25519 key: \(reason)"
        }
    }
}
