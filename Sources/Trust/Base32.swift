/// RFC 4648 §6 base32 (`A`–`Z`, `2`–`7`), the encoding of TOTP secrets in provisioning URIs.
public enum Base32 {
    /// The base32 text of `bytes`; `padded: false` omits the trailing `=`, as otpauth URIs do.
    public static func encode(_ bytes: [UInt8], padded: Bool = true) -> String {
        BaseNEncoding.base32.encode(bytes, padded: padded)
    }

    /// The bytes of upper-case base32 text, padded or not; nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        BaseNEncoding.base32.decode(text)
    }
}
