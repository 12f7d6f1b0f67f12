/// Where a sealed value belongs: its table, column and row. It is authenticated with the value,
/// so a ciphertext copied to any other place fails to open.
public struct FieldContext: Sendable, Hashable, CustomStringConvertible {
    /// The table holding the value, e.g. `consultation_answers`.
    public let table: String
    /// The column holding the value, e.g. `answer`.
    public let column: String
    /// The row's key, e.g. an opaque id such as `con_…`.
    public let row: String

    /// The place of one encrypted field.
    public init(table: String, column: String, row: String) {
        self.table = table
        self.column = column
        self.row = row
    }

    /// `table.column of row id`, for error messages.
    public var description: String { "\(table).\(column) of row \(row)" }

    /// Each part as a 4-byte big-endian length and its UTF-8, so no two contexts encode alike
    /// (`("ab", "c")` and `("a", "bc")` differ).
    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        for part in [table, column, row] {
            bytes += UInt32(part.utf8.count).bigEndianBytes
            bytes += part.utf8
        }
        return bytes
    }
}
