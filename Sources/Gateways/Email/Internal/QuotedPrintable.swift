/// The quoted-printable content transfer encoding of RFC 2045 §6.7, for UTF-8 text.
enum QuotedPrintable {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// `text` encoded line by line: line breaks (LF, CRLF or a lone CR) become CRLF, every line
    /// ends in CRLF, and no encoded line is longer than 76 characters (soft breaks, rule 5).
    static func encode(text: String) -> [UInt8] {
        var output: [UInt8] = []
        for line in lines(of: Array(text.utf8)) {
            var lineLength = 0
            for index in line.indices {
                let byte = line[index]
                let isLast = index == line.index(before: line.endIndex)
                let piece: [UInt8]
                switch byte {
                case 0x20, 0x09:
                    // Rule 3: whitespace at the end of a line would be stripped by transports.
                    piece = isLast ? escaped(byte) : [byte]
                case 33...126 where byte != UInt8(ascii: "="):
                    piece = [byte]
                default:
                    piece = escaped(byte)
                }
                // Room for the "=" of a soft break, except on the line's last piece.
                let limit = isLast ? EmailWireFormat.maxQuotedPrintableLineBytes : EmailWireFormat.maxQuotedPrintableLineBytes - 1
                if lineLength + piece.count > limit {
                    output += Array("=\r\n".utf8)
                    lineLength = 0
                }
                output += piece
                lineLength += piece.count
            }
            output += [0x0D, 0x0A]
        }
        return output
    }

    /// The lines of `bytes`, split at LF, CRLF or a lone CR; a final line break ends the last
    /// line rather than starting an empty one.
    private static func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case 0x0A:
                lines.append(bytes[start..<index])
                index += 1
                start = index
            case 0x0D:
                lines.append(bytes[start..<index])
                index += index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
                start = index
            default:
                index += 1
            }
        }
        if start < bytes.count { lines.append(bytes[start...]) }
        return lines
    }

    private static func escaped(_ byte: UInt8) -> [UInt8] {
        [UInt8(ascii: "="), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
    }
}
