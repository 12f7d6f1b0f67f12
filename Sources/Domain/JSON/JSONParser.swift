/// A strict RFC 8259 JSON parser: one value with optional surrounding whitespace, no comments, no
/// trailing commas, no duplicate keys, escapes checked (surrogate pairs must pair), and named limits
/// on size and nesting so a hostile document fails fast instead of exhausting memory or the stack.
public enum JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    public static let maxDepth = 64
    /// The largest document accepted, in UTF-8 bytes (4 MiB).
    public static let maxBytes = 4 * 1024 * 1024

    /// Parses `text` as one JSON value.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        let byteCount = text.utf8.count
        guard byteCount <= maxBytes else { throw .tooLarge(bytes: byteCount, limit: maxBytes) }
        var reader = Reader(bytes: Array(text.utf8))
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        guard reader.atEnd else { throw reader.syntax("unexpected text after the JSON value") }
        return value
    }
}

/// The cursor over the document's bytes.
private struct Reader {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset >= bytes.count }
    var current: UInt8? { atEnd ? nil : bytes[offset] }

    mutating func skipWhitespace() {
        // RFC 8259 §2: space, tab, line feed, carriage return; nothing else.
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { offset += 1 }
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard let byte = current else { throw syntax("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw syntax("unexpected \(describe(byte)), expected a value")
        }
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw tooDeep() }
        offset += 1
        var object = JSONObject()
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            offset += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw syntax("expected a string key") }
            let keyOffset = offset
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw syntax("expected ':' after the key") }
            offset += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            guard object[key] == nil else {
                let (line, column) = position(of: keyOffset)
                throw .duplicateKey(key, line: line, column: column)
            }
            try object.append(key, value)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): offset += 1; return .object(object)
            case nil: throw syntax("unexpected end of input, expected ',' or '}'")
            case let byte?: throw syntax("unexpected \(describe(byte)), expected ',' or '}'")
            }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw tooDeep() }
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"): offset += 1; return .array(elements)
            case nil: throw syntax("unexpected end of input, expected ',' or ']'")
            case let byte?: throw syntax("unexpected \(describe(byte)), expected ',' or ']'")
            }
        }
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func parseNumber() throws(JSONError) -> String {
        let start = offset
        if current == UInt8(ascii: "-") { offset += 1 }
        guard let first = current, isDigit(first) else { throw syntax("expected a digit") }
        offset += 1
        if first == UInt8(ascii: "0") {
            if let next = current, isDigit(next) { throw syntax("leading zeros are not allowed") }
        } else {
            skipDigits()
        }
        if current == UInt8(ascii: ".") {
            offset += 1
            guard let next = current, isDigit(next) else { throw syntax("expected a digit after '.'") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            guard let next = current, isDigit(next) else { throw syntax("expected a digit in the exponent") }
            skipDigits()
        }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    mutating func parseString() throws(JSONError) -> String {
        offset += 1
        var scalars = String.UnicodeScalarView()
        var runStart = offset
        func flushRun(upTo end: Int) {
            if end > runStart { scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars) }
        }
        while true {
            guard let byte = current else { throw syntax("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                flushRun(upTo: offset)
                offset += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                flushRun(upTo: offset)
                offset += 1
                scalars.append(try parseEscape())
                runStart = offset
            case 0x00..<0x20:
                throw syntax("control character \(describe(byte)) must be escaped in a string")
            default:
                offset += 1
            }
        }
    }

    /// After the backslash: one escape, `\uXXXX` surrogate pairs joined into one scalar.
    mutating func parseEscape() throws(JSONError) -> Unicode.Scalar {
        guard let byte = current else { throw syntax("unterminated escape") }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            switch unit {
            case 0xD800...0xDBFF:
                guard current == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw syntax("high surrogate \\u\(hex(unit)) is not followed by a low surrogate")
                }
                offset += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw syntax("high surrogate \\u\(hex(unit)) is followed by \\u\(hex(low)), not a low surrogate")
                }
                let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                return Unicode.Scalar(value)!
            case 0xDC00...0xDFFF:
                throw syntax("lone low surrogate \\u\(hex(unit))")
            default:
                return Unicode.Scalar(unit)!
            }
        default:
            offset -= 1
            throw syntax("invalid escape: \(describe(byte)) after a backslash")
        }
    }

    mutating func parseHex4() throws(JSONError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw syntax("unterminated \\u escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw syntax("expected four hexadecimal digits after \\u")
            }
            value = value << 4 | UInt16(digit)
            offset += 1
        }
        return value
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for byte in expected {
            guard current == byte else { throw syntax("invalid literal, expected \(literal)") }
            offset += 1
        }
    }

    mutating func skipDigits() {
        while let byte = current, isDigit(byte) { offset += 1 }
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    func hex(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// A byte for a message: printable ASCII quoted, anything else as U+XXXX or a byte value.
    func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        if byte < 0x80 { return "U+00\(hex(UInt16(byte)).suffix(2))" }
        return "non-ASCII character"
    }

    func syntax(_ message: String) -> JSONError {
        let (line, column) = position(of: offset)
        return .syntax(message, line: line, column: column)
    }

    func tooDeep() -> JSONError {
        let (line, column) = position(of: offset)
        return .tooDeep(limit: JSONParser.maxDepth, line: line, column: column)
    }

    /// Line and column (from 1) of a byte offset, columns counted in Unicode scalars. Computed only
    /// when an error is raised.
    func position(of target: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes[..<min(target, bytes.count)] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}
