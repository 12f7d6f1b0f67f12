/// Opaque, unguessable identifiers with a type prefix (API.md, Conventions), e.g.
/// `ord_` followed by 128 random bits in 26 characters of lower-case Crockford base32.
public enum OpaqueID {
    /// The kinds of identifier, by their prefix.
    public enum Prefix: String, Sendable, CaseIterable {
        /// A customer (patient) account.
        case customer = "cus_"
        /// A consultation: one questionnaire for one treatment.
        case consultation = "con_"
        /// An order.
        case order = "ord_"
        /// A signed prescription.
        case prescription = "rx_"
        /// A shipment handed to a courier.
        case shipment = "shp_"
        /// A support ticket.
        case ticket = "tkt_"
        /// A complaint about an order.
        case complaint = "cmp_"
        /// A staff member (admin, prescriber, pharmacist).
        case staff = "stf_"
    }

    /// Random bits per identifier: 128.
    public static let randomByteCount = 16
    /// Characters after the prefix: 128 bits at 5 bits per character, the last carrying 3.
    public static let encodedCharacterCount = 26

    /// A new identifier: `prefix` and 16 random bytes in Crockford's base32 alphabet
    /// (`0-9a-z` without `i l o u`), taken 5 bits at a time from the first byte on.
    public static func make(prefix: Prefix) -> String {
        prefix.rawValue + BaseNEncoding.crockfordBase32.encode(SecureRandom.bytes(randomByteCount), padded: false)
    }

    /// The identifier of `prefix` whose 128 bits are `bytes` (16 of them): for an identifier that
    /// must come out the same on every retry, derived from a keyed hash of what it names.
    public static func make(prefix: Prefix, bits bytes: [UInt8]) -> String {
        precondition(bytes.count == randomByteCount, "an identifier holds \(randomByteCount) bytes")
        return prefix.rawValue + BaseNEncoding.crockfordBase32.encode(bytes, padded: false)
    }

    /// Whether `id` is exactly what `make(prefix:)` produces for `prefix`: check ids from
    /// requests before using them.
    public static func isWellFormed(_ id: String, prefix: Prefix) -> Bool {
        guard id.utf8.count == prefix.rawValue.utf8.count + encodedCharacterCount, id.hasPrefix(prefix.rawValue) else {
            return false
        }
        return BaseNEncoding.crockfordBase32.decode(id.dropFirst(prefix.rawValue.count))?.count == randomByteCount
    }
}
