/// RFC 4648 encodings that write `bitsPerSymbol` bits per character (base32: 5, base64: 6).
/// Decoding is strict: only the alphabet, padding absent or exactly as RFC 4648 writes it, and
/// unused trailing bits zero, so each byte string has exactly one accepted text (or two: padded
/// and unpadded).
struct BaseNEncoding: Sendable {
    /// RFC 4648 §6 base32.
    static let base32 = BaseNEncoding(alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", symbolsPerBlock: 8)
    /// Crockford's base32 alphabet (no I, L, O, U), lower case, bits taken as RFC 4648 takes them.
    static let crockfordBase32 = BaseNEncoding(alphabet: "0123456789abcdefghjkmnpqrstvwxyz", symbolsPerBlock: 8)
    /// RFC 4648 §4 base64.
    static let base64 = BaseNEncoding(
        alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", symbolsPerBlock: 4)
    /// RFC 4648 §5 base64url.
    static let base64URL = BaseNEncoding(
        alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", symbolsPerBlock: 4)

    private static let notInAlphabet: UInt8 = 0xFF
    private static let padding = UInt8(ascii: "=")

    private let symbols: [UInt8]
    /// Symbol value by byte, `notInAlphabet` for bytes outside the alphabet.
    private let values: [UInt8]
    private let bitsPerSymbol: Int
    /// Padding fills the text up to a whole number of these.
    private let symbolsPerBlock: Int

    private init(alphabet: String, symbolsPerBlock: Int) {
        symbols = Array(alphabet.utf8)
        bitsPerSymbol = symbols.count.trailingZeroBitCount
        precondition(1 << bitsPerSymbol == symbols.count, "an alphabet of a power of two symbols")
        var values = [UInt8](repeating: Self.notInAlphabet, count: 256)
        for (value, symbol) in symbols.enumerated() { values[Int(symbol)] = UInt8(value) }
        self.values = values
        self.symbolsPerBlock = symbolsPerBlock
    }

    /// The text of `bytes`, with `=` padding to a whole block when `padded`.
    func encode(_ bytes: [UInt8], padded: Bool) -> String {
        let mask = UInt32(symbols.count - 1)
        var text: [UInt8] = []
        text.reserveCapacity((bytes.count * 8 + bitsPerSymbol - 1) / bitsPerSymbol + symbolsPerBlock)
        var buffer: UInt32 = 0
        var bufferedBits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bufferedBits += 8
            while bufferedBits >= bitsPerSymbol {
                bufferedBits -= bitsPerSymbol
                text.append(symbols[Int(buffer >> UInt32(bufferedBits) & mask)])
            }
        }
        if bufferedBits > 0 { text.append(symbols[Int(buffer << UInt32(bitsPerSymbol - bufferedBits) & mask)]) }
        while padded && text.count % symbolsPerBlock != 0 { text.append(Self.padding) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil when it is not strictly this encoding.
    func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        var symbolCount = characters.count
        while symbolCount > 0 && characters[symbolCount - 1] == Self.padding { symbolCount -= 1 }
        let paddingCount = characters.count - symbolCount
        guard paddingCount == 0 || (characters.count % symbolsPerBlock == 0 && paddingCount < symbolsPerBlock),
              // A last symbol that completes no byte means a truncated text.
              symbolCount * bitsPerSymbol % 8 < bitsPerSymbol
        else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(symbolCount * bitsPerSymbol / 8)
        var buffer: UInt32 = 0
        var bufferedBits = 0
        for character in characters[..<symbolCount] {
            let value = values[Int(character)]
            guard value != Self.notInAlphabet else { return nil }
            buffer = buffer << UInt32(bitsPerSymbol) | UInt32(value)
            bufferedBits += bitsPerSymbol
            if bufferedBits >= 8 {
                bufferedBits -= 8
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bufferedBits)))
            }
        }
        guard buffer & ((1 << UInt32(bufferedBits)) - 1) == 0 else { return nil }
        return bytes
    }
}
