/// Helpers for quoting SQL in messages.
enum SQLText {
    /// The start of a statement on one line, for messages. Statements carry no values (those are
    /// parameters), so they are safe to show.
    static func excerpt(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.joined(separator: " ")
        return flat.count <= 200 ? flat : flat.prefix(200) + "…"
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

extension SQLText {
    /// The numbers of the `$n` parameters a statement uses, skipping string literals, quoted
    /// identifiers, comments and dollar-quoted bodies.
    static func parameterNumbers(in sql: String) -> Set<Int> {
        let bytes = Array(sql.utf8)
        var numbers = Set<Int>()
        var index = 0
        func skip(past terminator: [UInt8], from start: Int) -> Int {
            var position = start
            while position + terminator.count <= bytes.count {
                if bytes[position..<position + terminator.count].elementsEqual(terminator) { return position + terminator.count }
                position += 1
            }
            return bytes.count
        }
        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // A doubled quote inside is an escaped quote: skipping to the next quote and
                // starting over reads it as two adjacent literals, which is just as good here.
                index = skip(past: [byte], from: index + 1)
            case UInt8(ascii: "-") where next == UInt8(ascii: "-"):
                index = skip(past: [UInt8(ascii: "\n")], from: index + 2)
            case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                index = skip(past: Array("*/".utf8), from: index + 2)
            case UInt8(ascii: "$") where (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next):
                var end = index + 1
                var number = 0
                while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]), number < 1_000_000 {
                    number = number * 10 + Int(bytes[end] - UInt8(ascii: "0"))
                    end += 1
                }
                numbers.insert(number)
                index = end
            case UInt8(ascii: "$"):
                // $tag$ … $tag$ (or $$ … $$): a dollar-quoted string.
                guard let close = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "$")),
                      bytes[(index + 1)..<close].allSatisfy({ $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20) || $0 >= 0x80 })
                else {
                    index += 1
                    continue
                }
                index = skip(past: Array(bytes[index...close]), from: close + 1)
            default:
                index += 1
            }
        }
        return numbers
    }
}
