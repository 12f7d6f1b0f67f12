/// Cryptographically secure random bytes from OpenSSL's generator.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "a byte count is never negative")
        return OpenSSLCrypto.randomBytes(count)
    }
}
