/// A request body in `application/x-www-form-urlencoded`, Stripe's request encoding: nested
/// parameters are spelt with brackets (`metadata[order]`, `expand[]`).
struct StripeForm {
    let fields: [(name: String, value: String)]

    init(_ fields: KeyValuePairs<String, String>) {
        self.fields = fields.map { ($0.key, $0.value) }
    }

    /// The encoded body: every byte outside RFC 3986's unreserved set percent-encoded.
    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: "&")) }
            Self.percentEncode(field.name, into: &bytes)
            bytes.append(UInt8(ascii: "="))
            Self.percentEncode(field.value, into: &bytes)
        }
        return bytes
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func percentEncode(_ text: String, into bytes: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            }
        }
    }
}
