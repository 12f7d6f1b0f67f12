/// SHA-256 and HMAC-SHA256, for token hashes, blind indexes and the audit chain.
public enum Digest {
    /// Length of a SHA-256 digest and of an HMAC-SHA256 tag.
    public static let sha256ByteCount = 32

    /// The SHA-256 digest of `bytes` (FIPS 180-4).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        OpenSSLCrypto.sha256(bytes)
    }

    /// The HMAC-SHA256 tag of `data` under `key` (RFC 2104).
    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        OpenSSLCrypto.hmac(.sha256, key: key, data: data)
    }
}
