import CSQLite

/// One SQLite connection (`sqlite3*`) with a bounded cache of prepared statements. It is confined
/// to the database thread that opened it. This file is the only code that calls SQLite's C API.
final class SQLiteConnection {
    /// Whether the connection was opened read-only (a reader) rather than read-write (the writer).
    let isReadOnly: Bool
    private let handle: OpaquePointer
    private let statementCacheCapacity: Int
    private let maxRowsPerQuery: Int
    private var statements: [String: SQLiteStatement] = [:]
    private var useCount: UInt64 = 0

    /// Opens (and, for the writer, creates) the database at `path`.
    init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32,
         statementCacheCapacity: Int, maxRowsPerQuery: Int) throws(StoreError) {
        var opened: OpaquePointer?
        // NOMUTEX: the connection is confined to one thread, so SQLite's per-call mutex is waste.
        let access = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        let code = sqlite3_open_v2(path, &opened, access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(opened)
            throw .unavailable("cannot open the SQLite database \(path)\(readOnly ? " for reading" : ""): \(message)")
        }
        handle = opened
        isReadOnly = readOnly
        self.statementCacheCapacity = statementCacheCapacity
        self.maxRowsPerQuery = maxRowsPerQuery
        sqlite3_busy_timeout(opened, busyTimeoutMilliseconds)
    }

    deinit {
        statements.removeAll()
        // close_v2 defers the close until every statement is finalized, whatever the order.
        sqlite3_close_v2(handle)
    }

    /// Prepared statements held in the cache.
    var cachedStatementCount: Int { statements.count }

    /// Whether a transaction is open on this connection.
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs one statement with `$1`, `$2`, … parameters. Returns its rows when `collectingRows`
    /// (otherwise steps through them) and how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ parameters: [SQLValue] = [],
             collectingRows: Bool = false) throws(StoreError) -> (rows: [SQLRow], changes: Int) {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement.handle)
            sqlite3_clear_bindings(statement.handle)
        }
        try bind(parameters, to: statement.handle, sql: sql)
        let changesBefore = sqlite3_total_changes64(handle)
        var rows: [SQLRow] = []
        var columns: SQLColumns?
        while true {
            let code = sqlite3_step(statement.handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw failure(code, sql: sql) }
            guard collectingRows else { continue }
            guard rows.count < maxRowsPerQuery else {
                throw .programmingError("a query returned more than \(maxRowsPerQuery) rows; add a LIMIT and page: \(SQLText.excerpt(sql))")
            }
            let names = columns ?? Self.columns(of: statement.handle)
            columns = names
            rows.append(SQLRow(columns: names, values: try values(of: statement.handle, columns: names, sql: sql)))
        }
        // sqlite3_changes keeps the count of the last INSERT/UPDATE/DELETE even across later DDL;
        // the total only moves when this statement changed rows.
        let changes = sqlite3_total_changes64(handle) == changesBefore ? 0 : Int(sqlite3_changes64(handle))
        return (rows, changes)
    }

    /// Runs several `;`-separated statements without parameters.
    func runScript(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        sqlite3_free(message)
        guard code == SQLITE_OK else { throw failure(sqlite3_extended_errcode(handle), sql: sql) }
    }

    /// Rolls back the open transaction, if any; errors are moot since the caller is already failing.
    func rollback() {
        guard isInTransaction else { return }
        _ = try? run("ROLLBACK")
    }

    // MARK: - Statements

    private func prepared(_ sql: String) throws(StoreError) -> SQLiteStatement {
        useCount += 1
        if let statement = statements[sql] {
            statement.lastUse = useCount
            return statement
        }
        var prepared: OpaquePointer?
        var rest = ""
        let code = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, &tail)
            if let tail { rest = String(cString: tail) }
            return code
        }
        guard code == SQLITE_OK else { throw failure(code, sql: sql) }
        guard rest.allSatisfy({ $0.isWhitespace || $0 == ";" }) else {
            sqlite3_finalize(prepared)
            throw .programmingError("one statement per call; several need executeScript (without parameters): \(SQLText.excerpt(sql))")
        }
        guard let prepared else { throw .programmingError("empty SQL statement: '\(SQLText.excerpt(sql))'") }
        let statement = SQLiteStatement(prepared, lastUse: useCount)
        if statements.count >= statementCacheCapacity,
           let stalest = statements.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            statements[stalest] = nil
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ parameters: [SQLValue], to statement: OpaquePointer, sql: String) throws(StoreError) {
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == parameters.count else {
            throw .programmingError("the statement takes \(expected) parameter\(expected == 1 ? "" : "s") but \(parameters.count) were given: \(SQLText.excerpt(sql))")
        }
        for (offset, value) in parameters.enumerated() {
            // SQLite reads `$1` as a named parameter; its position is where it first appears.
            let index = sqlite3_bind_parameter_index(statement, "$\(offset + 1)")
            guard index > 0 else {
                throw .programmingError("parameters are written $1, $2, … and this statement has no $\(offset + 1): \(SQLText.excerpt(sql))")
            }
            let code: Int32
            switch value {
            case .null:
                code = sqlite3_bind_null(statement, index)
            case let .integer(integer):
                code = sqlite3_bind_int64(statement, index, integer)
            case let .text(text):
                guard !text.utf8.contains(0) else {
                    throw .programmingError("text parameter $\(offset + 1) contains U+0000, which PostgreSQL cannot store; pass such data as a blob: \(SQLText.excerpt(sql))")
                }
                var text = text
                code = text.withUTF8 { bytes in
                    // A NULL pointer would bind SQL NULL; empty text needs a real (empty) string.
                    guard let base = bytes.baseAddress, bytes.count > 0 else {
                        return sqlite3_bind_text64(statement, index, "", 0, medexpress_sqlite_transient(), UInt8(SQLITE_UTF8))
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        sqlite3_bind_text64(statement, index, $0, UInt64(bytes.count), medexpress_sqlite_transient(), UInt8(SQLITE_UTF8))
                    }
                }
            case let .blob(bytes):
                if bytes.isEmpty {
                    // sqlite3_bind_blob with no bytes binds NULL; a zero-length zeroblob is an empty blob.
                    code = sqlite3_bind_zeroblob(statement, index, 0)
                } else {
                    code = bytes.withUnsafeBytes {
                        sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), medexpress_sqlite_transient())
                    }
                }
            }
            guard code == SQLITE_OK else { throw failure(code, sql: sql) }
        }
    }

    private static func columns(of statement: OpaquePointer) -> SQLColumns {
        let count = sqlite3_column_count(statement)
        return SQLColumns(names: (0..<count).map { String(cString: sqlite3_column_name(statement, $0)) })
    }

    private func values(of statement: OpaquePointer, columns: SQLColumns, sql: String) throws(StoreError) -> [SQLValue] {
        var values: [SQLValue] = []
        values.reserveCapacity(columns.names.count)
        for column in 0..<Int32(columns.names.count) {
            switch sqlite3_column_type(statement, column) {
            case SQLITE_NULL:
                values.append(.null)
            case SQLITE_INTEGER:
                values.append(.integer(sqlite3_column_int64(statement, column)))
            case SQLITE_TEXT:
                let count = Int(sqlite3_column_bytes(statement, column))
                let text = sqlite3_column_text(statement, column)
                values.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(statement, column))
                // A zero-length blob comes back as a NULL pointer.
                guard count > 0, let bytes = sqlite3_column_blob(statement, column) else {
                    values.append(.blob([]))
                    continue
                }
                values.append(.blob(Array(UnsafeRawBufferPointer(start: bytes, count: count))))
            default:
                throw .programmingError("column '\(columns.names[Int(column)])' holds a floating-point number, which the store does not read; CAST it to INTEGER or TEXT: \(SQLText.excerpt(sql))")
            }
        }
        return values
    }

    // MARK: - Errors

    /// The typed error for result code `code` (extended), with SQLite's message.
    private func failure(_ code: Int32, sql: String) -> StoreError {
        let message = String(cString: sqlite3_errmsg(handle))
        switch code & 0xff {
        case SQLITE_CONSTRAINT:
            return constraintFailure(code, message: message)
        case SQLITE_BUSY, SQLITE_LOCKED:
            return .conflict(attempts: 1, message: "\(message): another connection or process held the database lock past the busy timeout")
        case SQLITE_READONLY where isReadOnly:
            return .programmingError("a read transaction cannot change the database (\(message)): \(SQLText.excerpt(sql))")
        case SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_CORRUPT, SQLITE_NOTADB,
             SQLITE_NOMEM, SQLITE_PERM, SQLITE_PROTOCOL, SQLITE_NOLFS:
            return .unavailable("SQLite (code \(code)): \(message)")
        default:
            return .programmingError("SQLite (code \(code)): \(message): \(SQLText.excerpt(sql))")
        }
    }

    private func constraintFailure(_ code: Int32, message: String) -> StoreError {
        let detail = message.split(separator: ": ", maxSplits: 1).last.map(String.init) ?? message
        switch code {
        case SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY:
            return .uniqueViolation(constraint: uniqueIndexName(detail, isPrimaryKey: code == SQLITE_CONSTRAINT_PRIMARYKEY),
                                    message: message)
        case SQLITE_CONSTRAINT_NOTNULL:
            return .constraintViolation(kind: .notNull, constraint: nil, message: message)
        case SQLITE_CONSTRAINT_CHECK:
            // SQLite names a named CHECK constraint, and quotes the expression of an unnamed one.
            let isName = !detail.isEmpty && detail.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
            return .constraintViolation(kind: .check, constraint: isName ? detail : nil, message: message)
        case SQLITE_CONSTRAINT_FOREIGNKEY:
            return .constraintViolation(kind: .foreignKey, constraint: nil, message: message)
        default:
            return .constraintViolation(kind: .other, constraint: nil, message: message)
        }
    }

    /// The name PostgreSQL would report for the unique index SQLite describes as `detail`
    /// ("t.a, t.b", or "index 'name'" for an index on expressions): the index's own name when it
    /// was made by CREATE UNIQUE INDEX; `<table>_pkey` for a primary key and `<table>_<columns>_key`
    /// for an inline UNIQUE, as PostgreSQL names those.
    private func uniqueIndexName(_ detail: String, isPrimaryKey: Bool) -> String {
        if detail.hasPrefix("index '"), detail.hasSuffix("'") {
            return String(detail.dropFirst("index '".count).dropLast())
        }
        let qualified = detail.split(separator: ",").map { $0.trimmingWhitespace() }
        let table = qualified.first?.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
        let columns = qualified.map { $0.split(separator: ".", maxSplits: 1).last.map(String.init) ?? $0 }
        if isPrimaryKey { return "\(table)_pkey" }
        let indexes = (try? run("SELECT name, origin FROM pragma_index_list($1) WHERE \"unique\" = 1",
                                [.text(table)], collectingRows: true).rows) ?? []
        for index in indexes {
            guard let name = try? index.string("name"), let origin = try? index.string("origin"),
                  let indexed = try? run("SELECT name FROM pragma_index_info($1) ORDER BY seqno",
                                         [.text(name)], collectingRows: true).rows,
                  indexed.compactMap({ try? $0.string("name") }) == columns else { continue }
            switch origin {
            case "pk": return "\(table)_pkey"
            case "u" where name.hasPrefix("sqlite_autoindex_"): return "\(table)_\(columns.joined(separator: "_"))_key"
            default: return name
            }
        }
        return "\(table)(\(columns.joined(separator: ", ")))"
    }
}

// Extended result codes Swift does not import (the C macros are expressions).
private let SQLITE_CONSTRAINT_CHECK = SQLITE_CONSTRAINT | 1 << 8
private let SQLITE_CONSTRAINT_FOREIGNKEY = SQLITE_CONSTRAINT | 3 << 8
private let SQLITE_CONSTRAINT_NOTNULL = SQLITE_CONSTRAINT | 5 << 8
private let SQLITE_CONSTRAINT_PRIMARYKEY = SQLITE_CONSTRAINT | 6 << 8
private let SQLITE_CONSTRAINT_UNIQUE = SQLITE_CONSTRAINT | 8 << 8

/// One prepared statement (`sqlite3_stmt*`), finalized when dropped from the cache.
private final class SQLiteStatement {
    let handle: OpaquePointer
    var lastUse: UInt64

    init(_ handle: OpaquePointer, lastUse: UInt64) {
        self.handle = handle
        self.lastUse = lastUse
    }

    deinit { sqlite3_finalize(handle) }
}
