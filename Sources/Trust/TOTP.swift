/// Time-based one-time passwords (RFC 6238): HMAC-SHA1, 30-second steps counted from the Unix
/// epoch, 6 digits, and a code accepted for one step either side of the current one.
public struct TOTP: Sendable {
    /// Length of one time step (RFC 6238 §5.2 recommends 30 seconds).
    public static let stepSeconds: Int64 = 30
    /// Steps accepted either side of the current one, for clock drift and typing time (RFC 6238 §5.2).
    public static let driftSteps: Int64 = 1
    /// Code lengths supported: 6 for people, up to 8 for RFC 6238's test vectors.
    public static let supportedDigits = 6 ... 8

    /// The shared secret.
    public let secret: TOTPSecret
    /// Digits per code.
    public let digits: Int

    /// A generator and verifier over `secret`, with `digits` in `supportedDigits`.
    public init(secret: TOTPSecret, digits: Int = 6) {
        precondition(Self.supportedDigits.contains(digits), "TOTP codes have 6 to 8 digits")
        self.secret = secret
        self.digits = digits
    }

    /// The step that `unixSeconds` (not before 1970) falls in.
    public static func step(atUnixSeconds unixSeconds: Int64) -> Int64 {
        precondition(unixSeconds >= 0, "TOTP steps count from the Unix epoch")
        return unixSeconds / stepSeconds
    }

    /// The code for the step that `unixSeconds` falls in.
    public func code(atUnixSeconds unixSeconds: Int64) -> String {
        code(step: Self.step(atUnixSeconds: unixSeconds))
    }

    /// The step `code` belongs to when it is the code of the current step or one within
    /// `driftSteps` of it, and later than `lastAcceptedStep`; nil otherwise. The caller stores
    /// the step returned and passes it next time, so each code is accepted once (RFC 6238 §5.2).
    public func verify(_ code: String, atUnixSeconds unixSeconds: Int64, lastAcceptedStep: Int64?) -> Int64? {
        let offered = Array(code.utf8)
        guard offered.count == digits, offered.allSatisfy({ (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        let current = Self.step(atUnixSeconds: unixSeconds)
        var earliest = max(current - Self.driftSteps, 0)
        if let lastAcceptedStep {
            guard lastAcceptedStep < current + Self.driftSteps else { return nil }
            earliest = max(earliest, lastAcceptedStep + 1)
        }
        return (earliest ... current + Self.driftSteps).first { step in
            OpenSSLCrypto.constantTimeEqual(Array(self.code(step: step).utf8), offered)
        }
    }

    /// The `otpauth://` URI an authenticator app enrols from (Google Authenticator's Key URI
    /// Format): label `issuer:account`, then secret, issuer, algorithm, digits and period.
    public func provisioningURI(issuer: String, account: String) -> String {
        "otpauth://totp/\(Self.percentEncoded(issuer)):\(Self.percentEncoded(account))"
            + "?secret=\(secret.base32)&issuer=\(Self.percentEncoded(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(Self.stepSeconds)"
    }

    /// RFC 4226 §5.3: HMAC-SHA1 of the step as a big-endian 64-bit counter, dynamically
    /// truncated to 31 bits, reduced modulo 10^digits and zero-padded.
    private func code(step: Int64) -> String {
        let mac = OpenSSLCrypto.hmac(.sha1, key: secret.bytes, data: UInt64(step).bigEndianBytes)
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let truncated = mac[offset ..< offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF
        var modulus: UInt32 = 1
        for _ in 0 ..< digits { modulus *= 10 }
        let number = String(truncated % modulus)
        return String(repeating: "0", count: digits - number.count) + number
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters.
    private static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"),
                 UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + Hex.encode([byte]).uppercased()
            }
        }
        return encoded
    }
}
