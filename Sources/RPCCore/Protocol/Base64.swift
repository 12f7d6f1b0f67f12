/// Standard-alphabet base64 (RFC 4648 §4), as gRPC uses it for `-bin` metadata values.
public enum Base64 {
    /// The base64 text of some bytes without `=` padding, the form gRPC recommends sending
    /// in `-bin` metadata.
    public static func encodeUnpadded(_ bytes: [UInt8]) -> String {
        var text = encode(bytes)
        while text.utf8.last == padding { text.removeLast() }
        return text
    }

    /// The padded base64 text of some bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        let outputCount = (bytes.count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: outputCount) { output in
            var out = 0
            var index = 0
            while index + 3 <= bytes.count {
                let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                output[out] = alphabet[Int(chunk >> 18)]
                output[out + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
                output[out + 2] = alphabet[Int(chunk >> 6 & 0x3F)]
                output[out + 3] = alphabet[Int(chunk & 0x3F)]
                out += 4
                index += 3
            }
            let remaining = bytes.count - index
            if remaining > 0 {
                let chunk = UInt32(bytes[index]) << 16 | (remaining == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
                output[out] = alphabet[Int(chunk >> 18)]
                output[out + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
                output[out + 2] = remaining == 2 ? alphabet[Int(chunk >> 6 & 0x3F)] : padding
                output[out + 3] = padding
                out += 4
            }
            return out
        }
    }

    /// The bytes some base64 text stands for, or nil when it is not base64.
    ///
    /// gRPC peers may send `-bin` values with or without `=` padding, so both are accepted;
    /// padding, when present, must complete the last 4-character group. Characters outside the
    /// standard alphabet (including whitespace and the URL-safe `-` and `_`) are rejected.
    /// Unused low bits in the last character are ignored, as most decoders do.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8(decode(bytes:))
    }

    private static func decode(bytes input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var count = input.count
        if count % 4 == 0, count > 0, input[count - 1] == padding {
            count -= input[count - 2] == padding ? 2 : 1
        }
        // A lone character in the last group carries only 6 bits: never a whole byte.
        guard count % 4 != 1 else { return nil }
        let outputCount = count / 4 * 3 + max(0, count % 4 - 1)
        var valid = true
        let decoded = [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
            var out = 0
            var index = 0
            while index + 4 <= count {
                let a = decodeTable[Int(input[index])], b = decodeTable[Int(input[index + 1])]
                let c = decodeTable[Int(input[index + 2])], d = decodeTable[Int(input[index + 3])]
                guard (a | b | c | d) & invalid == 0 else { valid = false; break }
                let chunk = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                output[out] = UInt8(truncatingIfNeeded: chunk >> 16)
                output[out + 1] = UInt8(truncatingIfNeeded: chunk >> 8)
                output[out + 2] = UInt8(truncatingIfNeeded: chunk)
                out += 3
                index += 4
            }
            let remaining = count - index
            if valid, remaining >= 2 {
                let a = decodeTable[Int(input[index])], b = decodeTable[Int(input[index + 1])]
                let c = remaining == 3 ? decodeTable[Int(input[index + 2])] : 0
                if (a | b | c) & invalid != 0 {
                    valid = false
                } else {
                    let chunk = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                    output[out] = UInt8(truncatingIfNeeded: chunk >> 16)
                    out += 1
                    if remaining == 3 {
                        output[out] = UInt8(truncatingIfNeeded: chunk >> 8)
                        out += 1
                    }
                }
            }
            initialized = valid ? out : 0
        }
        return valid ? decoded : nil
    }

    private static let padding = UInt8(ascii: "=")
    private static let invalid: UInt8 = 0x80
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// The 6-bit value of each byte, or `invalid` for bytes outside the alphabet (`=` included).
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()
}
