/// A value passed to or read from SQL: the types SQLite and PostgreSQL both store exactly.
///
/// Conventions for what has no type of its own here:
/// - booleans are integers 0 and 1 (`SQLValue.bool(_:)`, `SQLRow.bool(_:)`), in `INTEGER` columns
///   with `CHECK (x IN (0, 1))`;
/// - instants are Unix time in microseconds (UTC) as `Int64`, in `BIGINT` columns whose names end
///   in `_at` or carry the unit;
/// - money is integer pence; identifiers are text.
/// Text never contains U+0000 (PostgreSQL cannot store it); bytes that may go in a blob.
public enum SQLValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer (SQLite INTEGER, PostgreSQL int2/int4/int8 and bool).
    case integer(Int64)
    /// UTF-8 text without U+0000 (SQLite TEXT, PostgreSQL text/varchar).
    case text(String)
    /// Bytes, possibly empty (SQLite BLOB, PostgreSQL bytea).
    case blob([UInt8])

    /// A boolean stored as the integer 1 or 0.
    public static func bool(_ value: Bool) -> SQLValue { .integer(value ? 1 : 0) }

    /// The name of this value's kind, for messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .text: "text"
        case .blob: "blob"
        }
    }
}

extension SQLValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension SQLValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

extension SQLValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}
