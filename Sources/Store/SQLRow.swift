/// One row of a query result, read by column name with typed accessors that throw
/// `StoreError.programmingError` naming the column when it is missing or holds another type.
/// Column names are matched exactly; write them in lower case (PostgreSQL folds unquoted names).
public struct SQLRow: Sendable {
    /// The result's column names, shared by all its rows.
    let columns: SQLColumns
    /// The values, in column order.
    public let values: [SQLValue]

    init(columns: SQLColumns, values: [SQLValue]) {
        assert(columns.names.count == values.count, "a row has one value per column")
        self.columns = columns
        self.values = values
    }

    /// The column names, in order.
    public var columnNames: [String] { columns.names }

    /// The value of `column`, whatever its kind.
    public func value(_ column: String) throws(StoreError) -> SQLValue {
        guard let index = columns.index(of: column) else {
            throw .programmingError("the result has no column '\(column)'; its columns are \(columns.names.joined(separator: ", "))")
        }
        return values[index]
    }

    /// The integer in `column`.
    public func int64(_ column: String) throws(StoreError) -> Int64 {
        guard let value = try optionalInt64(column) else { throw unexpectedNull(column, expected: "integer") }
        return value
    }

    /// The integer in `column`, or nil when it is NULL.
    public func optionalInt64(_ column: String) throws(StoreError) -> Int64? {
        switch try value(column) {
        case .null: return nil
        case let .integer(value): return value
        case let other: throw wrongKind(column, expected: "integer", found: other)
        }
    }

    /// The integer in `column` as an `Int`.
    public func int(_ column: String) throws(StoreError) -> Int {
        Int(try int64(column))
    }

    /// The boolean stored as 0 or 1 in `column`.
    public func bool(_ column: String) throws(StoreError) -> Bool {
        guard let value = try optionalBool(column) else { throw unexpectedNull(column, expected: "boolean (0 or 1)") }
        return value
    }

    /// The boolean stored as 0 or 1 in `column`, or nil when it is NULL.
    public func optionalBool(_ column: String) throws(StoreError) -> Bool? {
        switch try optionalInt64(column) {
        case nil: return nil
        case 0: return false
        case 1: return true
        case let other?: throw .programmingError("column '\(column)' holds \(other), not a boolean 0 or 1")
        }
    }

    /// The text in `column`.
    public func string(_ column: String) throws(StoreError) -> String {
        guard let value = try optionalString(column) else { throw unexpectedNull(column, expected: "text") }
        return value
    }

    /// The text in `column`, or nil when it is NULL.
    public func optionalString(_ column: String) throws(StoreError) -> String? {
        switch try value(column) {
        case .null: return nil
        case let .text(value): return value
        case let other: throw wrongKind(column, expected: "text", found: other)
        }
    }

    /// The bytes in `column`.
    public func bytes(_ column: String) throws(StoreError) -> [UInt8] {
        guard let value = try optionalBytes(column) else { throw unexpectedNull(column, expected: "blob") }
        return value
    }

    /// The bytes in `column`, or nil when it is NULL.
    public func optionalBytes(_ column: String) throws(StoreError) -> [UInt8]? {
        switch try value(column) {
        case .null: return nil
        case let .blob(value): return value
        case let other: throw wrongKind(column, expected: "blob", found: other)
        }
    }

    private func unexpectedNull(_ column: String, expected: String) -> StoreError {
        .programmingError("column '\(column)' is NULL where \(expected) was expected; use the optional accessor")
    }

    private func wrongKind(_ column: String, expected: String, found: SQLValue) -> StoreError {
        .programmingError("column '\(column)' holds \(found.kindName), not \(expected)")
    }
}
