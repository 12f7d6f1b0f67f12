/// One step of the schema's history, applied once to every database, in version order.
public struct Migration: Sendable, Hashable {
    /// Its place in the history: positive, increasing, never reused.
    public let version: Int
    /// A short name; it must never change once released (the migrator checks it).
    public let name: String
    /// The statements (`;`-separated, no parameters), for SQLite, and for PostgreSQL too unless
    /// `postgres` is given.
    public let sql: String
    /// The statements for PostgreSQL where its dialect differs (BYTEA for BLOB, identity columns
    /// for AUTOINCREMENT, …).
    public let postgres: String?

    public init(version: Int, name: String, sql: String, postgres: String? = nil) {
        self.version = version
        self.name = name
        self.sql = sql
        self.postgres = postgres
    }

    /// The statements to run on a database of `dialect`.
    public func sql(for dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: sql
        case .postgres: postgres ?? sql
        }
    }
}
