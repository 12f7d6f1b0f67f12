/// Bearer tokens for sessions: 256 random bits as unpadded base64url. The server stores only
/// their SHA-256, so a copy of the database holds no usable token.
public enum SessionToken {
    /// Random bytes per token.
    public static let randomByteCount = 32

    /// A new token: 43 characters of base64url.
    public static func generate() -> String {
        BaseNEncoding.base64URL.encode(SecureRandom.bytes(randomByteCount), padded: false)
    }

    /// The SHA-256 of the token's UTF-8: what is stored and looked up.
    public static func hash(_ token: String) -> [UInt8] {
        Digest.sha256(Array(token.utf8))
    }
}
