/// Why a JSON text could not be parsed, or why a parsed document does not have the expected shape.
public enum JSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text is not JSON; `line` and `column` (from 1, columns in Unicode scalars) point at the fault.
    case syntax(String, line: Int, column: Int)
    /// An object has the same key twice (RFC 8259 §4 leaves it undefined; we refuse it).
    case duplicateKey(String, line: Int, column: Int)
    /// Arrays and objects are nested deeper than `JSONParser.maxDepth`.
    case tooDeep(limit: Int, line: Int, column: Int)
    /// The text is longer than `JSONParser.maxBytes`.
    case tooLarge(bytes: Int, limit: Int)
    /// The document parsed but a value is not what the reader expected; `path` names it
    /// ("treatments[2].medications[0].price_pence").
    case unexpected(path: String, message: String)

    public var description: String {
        switch self {
        case let .syntax(message, line, column):
            "\(line):\(column): \(message)"
        case let .duplicateKey(key, line, column):
            "\(line):\(column): duplicate key \"\(key)\""
        case let .tooDeep(limit, line, column):
            "\(line):\(column): nested deeper than \(limit) levels"
        case let .tooLarge(bytes, limit):
            "document of \(bytes) bytes is larger than the limit of \(limit) bytes"
        case let .unexpected(path, message):
            path.isEmpty ? message : "\(path): \(message)"
        }
    }
}
