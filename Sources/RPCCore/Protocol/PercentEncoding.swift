/// The percent-encoding gRPC applies to `grpc-message` values.
///
/// Every UTF-8 byte outside printable ASCII (0x20–0x7E), and `%` itself, is sent as `%XX` with
/// upper-case hex digits (see "Responses" in gRPC's PROTOCOL-HTTP2.md).
public enum PercentEncoding {
    /// The `grpc-message` form of a status message.
    public static func encodeMessage(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard let firstEscape = bytes.firstIndex(where: needsEscape) else { return nil }
            var encoded = [UInt8]()
            encoded.reserveCapacity(bytes.count + 16)
            encoded.append(contentsOf: bytes[..<firstEscape])
            for byte in bytes[firstEscape...] {
                if needsEscape(byte) {
                    encoded.append(UInt8(ascii: "%"))
                    encoded.append(upperHexDigits[Int(byte >> 4)])
                    encoded.append(upperHexDigits[Int(byte & 0x0F)])
                } else {
                    encoded.append(byte)
                }
            }
            return String(decoding: encoded, as: UTF8.self)
        } ?? text
    }

    /// The status message a `grpc-message` value carries. Lenient as the spec asks: a `%` not
    /// followed by two hex digits is kept as it is, and bytes that are not valid UTF-8 become U+FFFD.
    public static func decodeMessage(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard let firstPercent = bytes.firstIndex(of: UInt8(ascii: "%")) else { return nil }
            var decoded = [UInt8]()
            decoded.reserveCapacity(bytes.count)
            decoded.append(contentsOf: bytes[..<firstPercent])
            var index = firstPercent
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                   let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                    decoded.append(high << 4 | low)
                    index += 3
                } else {
                    decoded.append(byte)
                    index += 1
                }
            }
            return String(decoding: decoded, as: UTF8.self)
        } ?? text
    }

    private static let upperHexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "%")
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
