/// The shared secret of one person's authenticator (RFC 4226 §4: at least 128 bits, 160 recommended).
public struct TOTPSecret: Sendable {
    /// Length of new secrets: 160 bits, as RFC 4226 recommends (the length of an SHA-1 output).
    public static let byteCount = 20
    /// Lengths accepted for existing secrets (RFC 4226 R6 sets the minimum).
    public static let acceptedByteCounts = 16 ... 64

    private let secret: SecretBytes

    private init(checked bytes: [UInt8]) {
        secret = SecretBytes(bytes: bytes)
    }

    /// A secret as stored (decrypted), or nil when its length is outside `acceptedByteCounts`.
    public init?(bytes: [UInt8]) {
        guard Self.acceptedByteCounts.contains(bytes.count) else { return nil }
        self.init(checked: bytes)
    }

    /// A secret from its RFC 4648 base32 text, or nil when the text or length is not acceptable.
    public init?(base32: String) {
        guard let bytes = Base32.decode(base32) else { return nil }
        self.init(bytes: bytes)
    }

    /// A new random secret of `byteCount` bytes.
    public static func generate() -> TOTPSecret {
        TOTPSecret(checked: SecureRandom.bytes(byteCount))
    }

    /// The secret's bytes, for storing encrypted.
    public var bytes: [UInt8] { secret.bytes }

    /// The secret as unpadded base32, as authenticator apps take it.
    public var base32: String { Base32.encode(secret.bytes, padded: false) }
}
