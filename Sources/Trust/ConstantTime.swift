/// Comparisons whose running time reveals nothing about where two secrets differ.
public enum ConstantTime {
    /// Whether `a` and `b` are equal, in time that depends only on their lengths (CRYPTO_memcmp).
    public static func isEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        OpenSSLCrypto.constantTimeEqual(a, b)
    }
}
