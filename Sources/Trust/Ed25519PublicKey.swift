/// An Ed25519 public key (RFC 8032): verifies a prescriber's signatures, and is published with
/// each prescription so the pharmacy can check it.
public struct Ed25519PublicKey: Sendable, Hashable {
    /// Length of the raw key (RFC 8032 §5.1.2 encoding of the point A).
    public static let byteCount = Ed25519EVPKey.keyByteCount
    /// Length of a signature (R and S, RFC 8032 §5.1.6).
    public static let signatureByteCount = Ed25519EVPKey.signatureByteCount

    /// The 32-byte encoded key.
    public let rawRepresentation: [UInt8]

    init(checked rawRepresentation: [UInt8]) {
        self.rawRepresentation = rawRepresentation
    }

    /// The key whose 32-byte encoding is `rawRepresentation`.
    public init(rawRepresentation: [UInt8]) throws(Ed25519KeyError) {
        _ = try Ed25519EVPKey(publicKey: rawRepresentation)
        self.rawRepresentation = rawRepresentation
    }

    /// The key as a PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----", RFC 8410 §4), as
    /// `openssl pkey -pubout` writes it: what an external verifier loads.
    public var pemRepresentation: String {
        evpKey.publicKeyPEM
    }

    /// Whether `signature` is this key's signature of exactly `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        evpKey.verify(signature, message: message)
    }

    private var evpKey: Ed25519EVPKey {
        do {
            return try Ed25519EVPKey(publicKey: rawRepresentation)
        } catch {
            preconditionFailure("OpenSSL refused an Ed25519 public key it accepted before: \(error)")
        }
    }
}
