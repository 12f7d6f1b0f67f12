/// A prescriber's Ed25519 signing key (RFC 8032 PureEdDSA): signs the canonical encoding of each
/// prescription they issue. Printing it shows only its length.
public struct Ed25519PrivateKey: Sendable {
    /// Length of the raw key (the private seed of RFC 8032 §5.1.5).
    public static let byteCount = Ed25519EVPKey.keyByteCount

    private let seed: SecretBytes
    /// The key that verifies this key's signatures.
    public let publicKey: Ed25519PublicKey

    /// The key whose 32-byte private seed is `rawRepresentation` (as stored, after opening).
    public init(rawRepresentation: [UInt8]) throws(Ed25519KeyError) {
        let key = try Ed25519EVPKey(seed: rawRepresentation)
        seed = SecretBytes(bytes: rawRepresentation)
        publicKey = Ed25519PublicKey(checked: key.rawPublicKey)
    }

    /// A new key from 32 bytes of OpenSSL's CSPRNG: every 32-byte seed is a valid key.
    public static func generate() -> Ed25519PrivateKey {
        do {
            return try Ed25519PrivateKey(rawRepresentation: SecureRandom.bytes(byteCount))
        } catch {
            preconditionFailure("OpenSSL refused a random Ed25519 seed: \(error)")
        }
    }

    /// The 32-byte seed, for sealing at rest (`FieldCipher`); never store or log it in the clear.
    public var rawRepresentation: [UInt8] { seed.bytes }

    /// The 64-byte signature of `message`; Ed25519 signatures are deterministic (RFC 8032 §5.1.6).
    public func signature(for message: [UInt8]) -> [UInt8] {
        do {
            return try Ed25519EVPKey(seed: seed.bytes).sign(message)
        } catch {
            preconditionFailure("OpenSSL refused an Ed25519 seed it accepted before: \(error)")
        }
    }
}
